"""Remove requests: the automation engineer codifies a removal, never new infrastructure.

What is removed comes from the other roles' decisions: the hosts the systems administrator
retires, the rules, DNS records and load balancer the network engineer lists for deletion,
and the database the administrator snapshots before it goes. Each becomes a Terraform
``removed {}`` block (Terraform 1.7+) at the address opsteam bundles give that resource, and
the whole procedure (final snapshot first, Terraform last) is rendered as
``docs/decommission.md``. Nothing here creates a resource.
"""

from __future__ import annotations

from opsteam.agents.automation import inputs as iac_inputs
from opsteam.agents.automation.terraform import ident, security_groups
from opsteam.agents.base import RoleContext
from opsteam.domain import naming
from opsteam.domain.decisions import Removal
from opsteam.domain.decisions.wiring import StateBackend
from opsteam.domain.models import Artifact, ChangeRequest, Engine
from opsteam.domain.registry import RoleSlug
from opsteam.prompts import render as render_template

ROLE: RoleSlug = "automation-engineer"
MIN_TERRAFORM = "1.10.0"  # removed {} blocks (1.7) and S3 lockfile locking (1.10)
DECOMMISSION_DOC = "docs/decommission.md"


def _network(ctx: RoleContext, prefix: str) -> list[Removal]:
    network = ctx.network
    if network is None:
        return []
    owner: RoleSlug = "network-engineer"
    found: list[Removal] = []
    groups = security_groups(network, ctx.database, prefix)
    for group in groups:
        for rule in group.rules:
            what = f"rule {rule.ident} of {group.name} ({rule.description})"
            found.append(
                Removal(address=f"aws_security_group_rule.{rule.ident}", what=what, owner=owner)
            )
    for group in groups:
        what = f"security group {group.name}"
        found.append(Removal(address=f"aws_security_group.{group.ident}", what=what, owner=owner))
    used: set[str] = set()
    for record in network.dns_records:
        address = f"aws_route53_record.{ident(f'dns_{record.name}', used)}"
        what = f"DNS record {record.name} ({record.type})"
        found.append(Removal(address=address, what=what, owner=owner))
    if network.load_balancer is not None:
        lb = network.load_balancer.name
        listeners = ["aws_lb_listener.https"]
        if network.load_balancer.scheme == "internet-facing":
            listeners.append("aws_lb_listener.http_redirect")
        for address in (*listeners, "aws_lb_target_group.main", "aws_lb.main"):
            what = f"load balancer {lb}: {address.split('.')[0]}"
            found.append(Removal(address=address, what=what, owner=owner))
    return found


def _database(ctx: RoleContext, prefix: str) -> list[Removal]:
    db = ctx.database
    if db is None:
        return []
    owner: RoleSlug = "database-administrator"
    if db.engine is Engine.REDIS:
        what = f"Redis replication group {prefix} (final snapshot first)"
        return [Removal(address="aws_elasticache_replication_group.main", what=what, owner=owner)]
    replicas = [
        Removal(
            address=f"aws_db_instance.replica_{i}",
            what=f"read replica {prefix}-replica-{i}",
            owner=owner,
        )
        for i in range(1, db.read_replicas + 1)
    ]
    primary = Removal(
        address="aws_db_instance.main",
        what=f"{db.engine.value} instance {prefix} (final snapshot first)",
        owner=owner,
    )
    return [*replicas, primary]  # replicas before their source


def removals(request: ChangeRequest, ctx: RoleContext) -> list[Removal]:
    """Everything the decisions list for removal, in the order it must go."""
    prefix = naming.resource_prefix(request)
    hosts = ctx.servers.decommissioned if ctx.servers is not None else []
    found = [
        Removal(
            address=f"aws_instance.{ident(name)}",
            what=f"instances of {name}",
            owner="systems-administrator",
        )
        for name in hosts
    ]
    return found + _network(ctx, prefix) + _database(ctx, prefix)


def owner_state(request: ChangeRequest, ctx: RoleContext) -> StateBackend | None:
    """The state of the stack whose module the removed blocks belong in, when opsteam built
    it (otherwise the operator names it: docs/decommission.md says how)."""
    owner = ctx.inputs.stack(naming.resource_prefix(request))
    return iac_inputs.owner_backend(owner) if owner is not None else None


def modules(found: list[Removal]) -> list[str]:
    names = [DECOMMISSION_DOC, "terraform/main.tf", "terraform/variables.tf"]
    if found:
        names.append("terraform/removed.tf")
    return sorted(names)


def _main_tf(request: ChangeRequest, ctx: RoleContext, owner: StateBackend | None) -> str:
    """No backend: the removed blocks are applied from the owning stack's module."""
    return render_template(
        "automation/terraform/main.tf.j2",
        request=request,
        prefix=naming.resource_prefix(request),
        tags=naming.tags(request),
        region=ctx.design.region,
        env=request.environment.value,
        mode="remove",
        required_version=MIN_TERRAFORM,
        backend=None,
        owner=owner,
        kms_key=False,
    )


def render(
    found: list[Removal], request: ChangeRequest, ctx: RoleContext, owner: StateBackend | None
) -> list[Artifact]:
    prefix = naming.resource_prefix(request)
    main = _main_tf(request, ctx, owner)
    variables = iac_inputs.base_variables(ctx.design.region, request.environment.value)
    artifacts = [
        Artifact(path="terraform/main.tf", role=ROLE, kind="terraform", content=main),
        *iac_inputs.module_files(
            ROLE, variables, None, naming.tags(request), prefix, MIN_TERRAFORM
        ),
    ]
    if found:
        content = render_template(
            "automation/terraform/removed.tf.j2", prefix=prefix, removals=found
        )
        artifacts.append(
            Artifact(path="terraform/removed.tf", role=ROLE, kind="terraform", content=content)
        )
    doc = render_template(
        "automation/decommission.md.j2",
        request=request,
        prefix=prefix,
        removals=found,
        names={r.owner: ctx.registry.role(r.owner).name for r in found},
        author=ctx.registry.role(ROLE).name,
        sysadmin=ctx.registry.role("systems-administrator").name,
        network_name=ctx.registry.role("network-engineer").name,
        dba=ctx.registry.role("database-administrator").name,
        servers=ctx.servers,
        network=ctx.network,
        database=ctx.database,
        min_terraform=MIN_TERRAFORM,
        owner=owner,
    )
    artifacts.append(Artifact(path=DECOMMISSION_DOC, role=ROLE, kind="markdown", content=doc))
    return artifacts
