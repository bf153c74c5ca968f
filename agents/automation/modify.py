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

from opsteam.agents.automation import vpn as iac_vpn
from opsteam.agents.automation.terraform import (
    REQUIRED_VERSION,
    dns_targets,
    ident,
    security_groups,
    state_key,
)
from opsteam.agents.base import RoleContext
from opsteam.agents.network.cidr import VPC_CIDR_VARIABLE
from opsteam.domain import naming
from opsteam.domain.decisions import DatabasePlan, ModifyChange, NetworkPlan, SecurityGroup
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
    """The changed resources of a Modify request, and the existing ones they reference."""
    kind = scope(request, ctx)
    network, db = ctx.network, ctx.database
    prefix = naming.resource_prefix(request)
    common = {
        "scope": kind,
        "region": ctx.design.region,
        "prefix": prefix,
        "tags": naming.tags(request),
        "env": request.environment.value,
        "state_key": state_key(request, "changes"),
    }
    if kind == "data":
        rds = db is not None and db.engine is not Engine.REDIS
        return ModifyChange(**common, snapshot=_snapshot(request) if rds else None)
    if network is None:
        return ModifyChange(**common)
    groups = security_groups(network, db, prefix)
    if kind == "vpn":
        spec = iac_vpn.spec(network, groups)
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
        (i, d.name) for i, d, t in zip(ids, network.dns_records, targets, strict=True) if t == "lb"
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
    """main.tf (its own state), change.tf and, for a VPN change, vpn.tf."""
    common = {
        "request": request,
        "prefix": spec.prefix,
        "tags": spec.tags,
        "region": spec.region,
        "env": spec.env,
        "state_key": spec.state_key,
    }
    main = render_template(
        "automation/terraform/main.tf.j2",
        **common,
        mode="modify",
        required_version=REQUIRED_VERSION,
        existing_vars=False,
        kms_key=False,
    )
    network = ctx.network
    content = render_template(
        "automation/terraform/change.tf.j2",
        **common,
        change=spec,
        db=ctx.database,
        lb=network.load_balancer if network else None,
        existing_groups=spec.existing_groups,
        rules=spec.rules,
        vpc_variable=spec.vpc_variable,
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
            bgp_asn=iac_vpn.DEFAULT_BGP_ASN,
            amazon_asn=iac_vpn.AMAZON_SIDE_ASN,
        )
        artifacts.append(
            Artifact(path="terraform/vpn.tf", role=ROLE, kind="terraform", content=vpn)
        )
    return artifacts


def modules(spec: ModifyChange) -> list[str]:
    names = ["terraform/change.tf", "terraform/main.tf"]
    if spec.vpn is not None:
        names.append("terraform/vpn.tf")
    return sorted(names)
