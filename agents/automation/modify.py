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

from dataclasses import dataclass
from typing import Literal

from opsteam.agents.automation import vpn as iac_vpn
from opsteam.agents.automation.terraform import dns_targets, ident, security_groups
from opsteam.agents.base import RoleContext
from opsteam.agents.network.cidr import VPC_CIDR_VARIABLE
from opsteam.domain import naming
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


@dataclass(frozen=True)
class Change:
    """What the Terraform for one Modify request contains (names only, for the templates)."""

    scope: Scope
    snapshot: str | None = None  # pre-change DB snapshot identifier
    listeners: tuple[str, ...] = ()
    certificate: str | None = None
    records: tuple[tuple[str, str], ...] = ()  # (identifier, name) of LB alias records
    vpn: bool = False
    rules: int = 0  # security group rules on existing groups

    @property
    def resources(self) -> int:
        cert = 1 if self.certificate else 0
        lists = len(self.listeners) + len(self.records)
        return (1 if self.snapshot else 0) + cert + lists + (1 if self.vpn else 0) + self.rules


def scope(request: ChangeRequest, ctx: RoleContext) -> Scope:
    found = _SCOPES.get(request.component, "rules")
    if found == "vpn" and not iac_vpn.wanted(ctx.network):
        return "rules"
    return found


def _snapshot(request: ChangeRequest) -> str:
    window = request.maintenance_window
    day = window.start.strftime("%Y%m%d") if window is not None else "change"
    return f"{naming.resource_prefix(request)}-pre-{day}"


def change(request: ChangeRequest, ctx: RoleContext) -> Change:
    kind = scope(request, ctx)
    network, db = ctx.network, ctx.database
    prefix = naming.resource_prefix(request)
    if kind == "data":
        rds = db is not None and db.engine is not Engine.REDIS
        return Change(kind, snapshot=_snapshot(request) if rds else None)
    if network is None:
        return Change(kind)
    groups = security_groups(network, db, prefix)
    if kind == "vpn":
        spec = iac_vpn.spec(network, groups)
        return Change(kind, vpn=True, rules=len(spec.rules))
    if kind == "rules":
        return Change(kind, rules=len(network.rules))
    lb = network.load_balancer
    if lb is None:
        return Change(kind)
    used: set[str] = set()
    ids = [ident(f"dns_{d.name}", used) for d in network.dns_records]
    targets = dns_targets(network, db, prefix)
    records = [
        (i, d.name) for i, d, t in zip(ids, network.dns_records, targets, strict=True) if t == "lb"
    ]
    public = lb.scheme == "internet-facing"
    return Change(
        kind,
        listeners=("https", "http_redirect") if public else ("https",),
        certificate=lb.certificate,
        records=tuple(records),
    )


def _groups(request: ChangeRequest, ctx: RoleContext, kind: Scope) -> list[tuple[str, str]]:
    """(identifier, name) of the existing security groups the changed rules attach to."""
    network = ctx.network
    if network is None or kind not in ("vpn", "rules"):
        return []
    groups = security_groups(network, ctx.database, naming.resource_prefix(request))
    if kind == "vpn":
        spec = iac_vpn.spec(network, groups)
        wanted = {p.group for p in spec.rules} | {p.rule.peer for p in spec.rules if p.rule.peer}
    else:
        wanted = {g.ident for g in groups}
    return [(g.ident, g.name) for g in groups if g.ident in wanted]


def render(request: ChangeRequest, ctx: RoleContext) -> list[Artifact]:
    found = change(request, ctx)
    prefix = naming.resource_prefix(request)
    design = ctx.design
    common = {
        "request": request,
        "prefix": prefix,
        "tags": naming.tags(request),
        "region": design.region if design else (request.region or "us-east-1"),
        "env": request.environment.value,
    }
    main = render_template(
        "automation/terraform/main.tf.j2",
        **common,
        mode="modify",
        required_version="1.6.0",
        existing_vars=False,
        kms_key=False,
    )
    network = ctx.network
    groups = security_groups(network, ctx.database, prefix) if network else []
    spec = iac_vpn.spec(network, groups) if network and found.vpn else None
    rules = [(g.ident, r) for g in groups for r in g.rules] if found.scope == "rules" else []
    content = render_template(
        "automation/terraform/change.tf.j2",
        **common,
        change=found,
        db=ctx.database,
        lb=network.load_balancer if network else None,
        existing_groups=_groups(request, ctx, found.scope),
        rules=rules,
        vpc_variable=any(r.cidr == VPC_CIDR_VARIABLE for _, r in rules),
    )
    artifacts = [
        Artifact(path="terraform/main.tf", role=ROLE, kind="terraform", content=main),
        Artifact(path="terraform/change.tf", role=ROLE, kind="terraform", content=content),
    ]
    if spec is not None:
        vpn = render_template(
            "automation/terraform/vpn.tf.j2",
            **common,
            vpn=spec,
            existing=True,
            private_tables=[],
            bgp_asn=iac_vpn.DEFAULT_BGP_ASN,
            amazon_asn=iac_vpn.AMAZON_SIDE_ASN,
        )
        artifacts.append(
            Artifact(path="terraform/vpn.tf", role=ROLE, kind="terraform", content=vpn)
        )
    return artifacts


def modules(request: ChangeRequest, ctx: RoleContext) -> list[str]:
    names = ["terraform/change.tf", "terraform/main.tf"]
    if change(request, ctx).vpn:
        names.append("terraform/vpn.tf")
    return sorted(names)
