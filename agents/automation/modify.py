"""Modify requests: Terraform for the changed resources only, against existing infrastructure.

A Modify request changes something that runs. The VPC, subnets, route tables, security groups,
load balancer and database already exist, so they are never created here: they come in as
required variables (described, no defaults) or ``data`` sources, and only what the request
changes is a ``resource``. What changes follows the request's component:

* database / cache: the change is the administrator's migration (``database/database-plan.md``);
  Terraform only takes the pre-change snapshot the plan's first step asks for;
* load balancer / DNS / network: the listeners, the certificate and the DNS records;
* VPN: the tunnel and the partner's firewall rules (``vpn.tf``);
* anything else: the firewall rules the network plan lists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from opsteam.agents.automation import imports as iac_imports
from opsteam.agents.automation import inputs as iac_inputs
from opsteam.agents.automation import vpn as iac_vpn
from opsteam.agents.automation import wiring
from opsteam.agents.automation.terraform import (
    REQUIRED_VERSION,
    dns_targets,
    ident,
    security_groups,
)
from opsteam.agents.base import RoleContext
from opsteam.agents.network.cidr import VPC_CIDR_VARIABLE
from opsteam.domain import naming
from opsteam.domain.decisions import (
    ChangedRecord,
    DatabasePlan,
    ModifyChange,
    NetworkPlan,
    SecurityGroup,
)
from opsteam.domain.decisions.wiring import TfImport, TfVariable
from opsteam.domain.models import Artifact, ChangeRequest, Component, Engine
from opsteam.domain.registry import RoleSlug
from opsteam.prompts import render as render_template

ROLE: RoleSlug = "automation-engineer"
Scope = Literal["data", "edge", "vpn", "rules"]
_SCOPES: dict[Component, Scope] = {
    Component.DATABASE: "data",
    Component.CACHE: "data",
    Component.LOAD_BALANCER: "edge",
    Component.DNS: "edge",
    Component.NETWORK: "edge",
    Component.VPN: "vpn",
}


def scope(request: ChangeRequest, ctx: RoleContext) -> Scope:
    found = _SCOPES.get(request.component, "rules")
    if found == "vpn" and not iac_vpn.wanted(ctx.network):
        return "rules"
    return found


def _snapshot(request: ChangeRequest) -> str:
    window = request.maintenance_window
    day = window.start.strftime("%Y%m%d") if window is not None else "change"
    return f"{naming.resource_prefix(request)}-pre-{day}"


def _existing_groups(
    groups: list[SecurityGroup], kind: Scope, wanted_vpn: set[str]
) -> list[tuple[str, str]]:
    """(identifier, name) of the existing security groups the changed rules attach to."""
    if kind == "vpn":
        return [(g.ident, g.name) for g in groups if g.ident in wanted_vpn]
    if kind == "rules":
        return [(g.ident, g.name) for g in groups]
    return []


def change(request: ChangeRequest, ctx: RoleContext) -> ModifyChange:
    """The changed resources of a Modify request, the existing ones they reference (read
    from the owning stack's state when opsteam built it), and the change's own state."""
    found = _changed(request, ctx)
    owner = ctx.inputs.stack(found.prefix)
    refs, variables = iac_inputs.existing_refs(_wanted(found, ctx), owner.outputs if owner else ())
    env, region = found.env, found.region
    imports = _imports(found, ctx) if owner is None else []
    variables = iac_inputs.unique(
        [
            *iac_inputs.base_variables(region, env),
            *variables,
            *_vpn_inputs(found),
            *_edge_inputs(found, ctx),
            *iac_imports.variables(imports),
            *iac_inputs.app_port_inputs(
                ctx.network.app_port if ctx.network else None, _uses_app_port(found)
            ),
        ]
    )
    return found.model_copy(
        update={
            "backend": iac_inputs.change_backend(request, region, owner),
            "owner": iac_inputs.owner_backend(owner) if owner else None,
            "refs": refs,
            "variables": variables,
            "imports": imports,
            "outputs": wiring.existing_database_targets(ctx.database, found.prefix)
            if found.snapshot
            else [],
        }
    )


def _imports(found: ModifyChange, ctx: RoleContext) -> list[TfImport]:
    """The existing load balancer's listeners the change takes over (never a stack's that
    opsteam built: its own state manages them)."""
    lb = ctx.network.load_balancer if ctx.network is not None else None
    if found.scope != "edge" or lb is None:
        return []
    return iac_imports.listeners(found.listeners, lb)


def _vpn_inputs(found: ModifyChange) -> list[TfVariable]:
    return iac_vpn.variables(found.vpn) if found.vpn is not None else []


def _edge_inputs(found: ModifyChange, ctx: RoleContext) -> list[TfVariable]:
    """The private CA that issues an internal load balancer's new certificate."""
    lb = ctx.network.load_balancer if ctx.network is not None else None
    if found.scope != "edge" or lb is None or not lb.private_ca:
        return []
    return [iac_inputs.private_ca_input(lb.certificate)]


def _uses_app_port(found: ModifyChange) -> bool:
    """Whether a changed rule (firewall or VPN partner) is on the application's port."""
    vpn = [p.rule for p in found.vpn.rules] if found.vpn is not None else []
    return any(r.port_variable for r in [*(r for _, r in found.rules), *vpn])


def _wanted(found: ModifyChange, ctx: RoleContext) -> list[tuple[str, str, str, str]]:
    """(name, type, description, example) of every existing thing the change references."""
    ids = iac_inputs.EXAMPLE_ID
    wanted: list[tuple[str, str, str, str]] = []
    db = ctx.database
    if found.snapshot and db is not None:
        wanted.append((
            "db_instance_identifier", "string",
            f"Identifier of the existing {db.engine.value} instance this change migrates "
            f"({found.prefix} when opsteam built it).", f'"{found.prefix}"',
        ))  # fmt: skip
    lb = ctx.network.load_balancer if ctx.network is not None else None
    if found.scope == "edge" and lb is not None:
        wanted += [
            ("load_balancer_arn", "string",
             f"ARN of the existing load balancer {lb.name} that serves {lb.certificate}.",
             '"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/0123"'),
            ("target_group_arn", "string",
             "ARN of the existing target group the HTTPS listener forwards to "
             f"(the service on port {lb.target_port}).",
             '"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/x/0123"'),
        ]  # fmt: skip
    zones = {r.zone for r in found.records}
    if found.scope == "edge" and lb is not None and ("dns_zone_id" in zones or not lb.private_ca):
        wanted.append(
            ("dns_zone_id", "string", f"Route 53 hosted zone that holds {lb.certificate}.",
             '"Z0123456789ABCDEFGHIJ"'),
        )  # fmt: skip
    if found.scope == "edge" and "private_zone_id" in zones and ctx.network is not None:
        wanted.append(
            ("private_zone_id", "string", "Route 53 private hosted zone "
             f"{ctx.network.private_zone} (attached to the VPC) that holds the internal names.",
             '"Z0987654321ZYXWVUTSRQ"'),
        )  # fmt: skip
    if found.vpn is not None:
        wanted += [
            ("vpc_id", "string", "ID of the existing VPC the VPN gateway attaches to.",
             ids["vpc"]),
            ("private_route_table_ids", "list(string)", "IDs of the existing private route "
             "tables (one per zone) that learn the partner range.", ids["tables"]),
            ("kms_key_arn", "string", "ARN of the existing customer-managed KMS key that "
             "encrypts the tunnel logs.",
             '"arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"'),
        ]  # fmt: skip
    if found.vpc_variable:
        wanted.append((
            "vpc_cidr", "string", "CIDR range of the existing VPC the changed rules admit "
            "traffic from.", '"10.0.0.0/16"',
        ))  # fmt: skip
    for group_id, name in found.existing_groups:
        wanted.append((
            f"{group_id}_security_group_id", "string",
            f"ID of the existing security group {name}.", ids["sg"],
        ))  # fmt: skip
    return wanted


def _changed(request: ChangeRequest, ctx: RoleContext) -> ModifyChange:
    """The changed resources by scope (state and references are added by :func:`change`)."""
    kind = scope(request, ctx)
    network, db = ctx.network, ctx.database
    prefix = naming.resource_prefix(request)
    common = {
        "scope": kind,
        "region": ctx.design.region,
        "prefix": prefix,
        "tags": naming.tags(request),
        "env": request.environment.value,
        "backend": iac_inputs.change_backend(request, ctx.design.region, None),
    }
    if kind == "data":
        rds = db is not None and db.engine is not Engine.REDIS
        return ModifyChange(**common, snapshot=_snapshot(request) if rds else None)
    if network is None:
        return ModifyChange(**common)
    groups = security_groups(network, db, prefix)
    if kind == "vpn":
        spec = iac_vpn.spec(network, groups, existing_vpc=True)  # a change: the VPC exists
        used = {p.group for p in spec.rules} | {p.rule.peer for p in spec.rules if p.rule.peer}
        return ModifyChange(
            **common, vpn=spec, existing_groups=_existing_groups(groups, kind, used)
        )
    if kind == "rules":
        rules = [(g.ident, r) for g in groups for r in g.rules]
        return ModifyChange(
            **common,
            rules=rules,
            existing_groups=_existing_groups(groups, kind, set()),
            vpc_variable=any(r.cidr == VPC_CIDR_VARIABLE for _, r in rules),
        )
    return _edge_change(common, network, groups, db)


def _edge_change(
    common: Mapping[str, object],
    network: NetworkPlan,
    groups: list[SecurityGroup],
    db: DatabasePlan | None,
) -> ModifyChange:
    """Listeners, certificate and the DNS records that point at the load balancer."""
    lb = network.load_balancer
    if lb is None:
        return ModifyChange.model_validate(common)
    used: set[str] = set()
    ids = [ident(f"dns_{d.name}", used) for d in network.dns_records]
    targets = dns_targets(network, groups, db)
    records = [
        ChangedRecord(
            ident=i,
            name=d.name,
            zone="private_zone_id" if network.in_private_zone(d.name) else "dns_zone_id",
        )
        for i, d, t in zip(ids, network.dns_records, targets, strict=True)
        if t == "lb"
    ]
    public = lb.scheme == "internet-facing"
    return ModifyChange.model_validate(
        {
            **common,
            "listeners": ["https", "http_redirect"] if public else ["https"],
            "certificate": lb.certificate,
            "records": records,
        }
    )


def render(spec: ModifyChange, request: ChangeRequest, ctx: RoleContext) -> list[Artifact]:
    """main.tf (the change's own state), change.tf, vpn.tf for a VPN change, variables.tf and
    terraform.tfvars.example (and bootstrap/ when the state bucket may not exist yet)."""
    sg_refs = {g: spec.refs[f"{g}_security_group_id"] for g, _ in spec.existing_groups}
    common = {
        "request": request,
        "prefix": spec.prefix,
        "tags": spec.tags,
        "region": spec.region,
        "env": spec.env,
        "backend": spec.backend,
        "owner": spec.owner,
        "refs": spec.refs,
        "sg_refs": sg_refs,
        "vpc_cidr_ref": spec.refs.get("vpc_cidr", "var.vpc_cidr"),
    }
    main = render_template(
        "automation/terraform/main.tf.j2",
        **common,
        mode="modify",
        required_version=REQUIRED_VERSION,
        kms_key=False,
    )
    network = ctx.network
    content = render_template(
        "automation/terraform/change.tf.j2",
        **common,
        change=spec,
        db=ctx.database,
        lb=network.load_balancer if network else None,
        rules=spec.rules,
    )
    artifacts = [
        Artifact(path="terraform/main.tf", role=ROLE, kind="terraform", content=main),
        Artifact(path="terraform/change.tf", role=ROLE, kind="terraform", content=content),
    ]
    if spec.vpn is not None:
        vpn = render_template(
            "automation/terraform/vpn.tf.j2",
            **common,
            vpn=spec.vpn,
            existing=True,
            private_tables=[],
        )
        artifacts.append(
            Artifact(path="terraform/vpn.tf", role=ROLE, kind="terraform", content=vpn)
        )
    return artifacts + iac_inputs.module_files(
        ROLE, spec.variables, spec.backend, spec.tags, spec.prefix, REQUIRED_VERSION
    )


def modules(spec: ModifyChange) -> list[str]:
    names = ["terraform/change.tf", "terraform/main.tf", "terraform/variables.tf"]
    if spec.vpn is not None:
        names.append("terraform/vpn.tf")
    if spec.backend.bootstrap:
        names.append("terraform/bootstrap/main.tf")
    return sorted(names)
