"""Terraform for the automation engineer: codifies the network, database, server and storage
decisions exactly as the other roles made them (names, CIDRs, ports, sizes come from ``ctx``).

Everything here is pure; :func:`render_terraform` only feeds templates in
``prompts/automation/terraform``. Identifiers are sanitised, every user-derived string goes
through the template's ``hcl`` filter.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from opsteam.agents.automation import routes as iac_routes
from opsteam.agents.automation import vpn as iac_vpn
from opsteam.agents.base import RoleContext
from opsteam.agents.network.cidr import EXISTING_VPC, VPC_CIDR_VARIABLE
from opsteam.domain import naming
from opsteam.domain.decisions import DatabasePlan, FirewallRule, NetworkPlan
from opsteam.domain.models import Artifact, ChangeRequest, Engine, Environment
from opsteam.domain.registry import RoleSlug
from opsteam.prompts import render as render_template

ROLE: RoleSlug = "automation-engineer"
DEFAULT_VPC_CIDR = "10.0.0.0/16"
DB_HINTS = frozenset({"db", "data", "database", "rds", "postgres", "postgresql", "mysql"})
CACHE_HINTS = frozenset({"cache", "redis", "elasticache"})
LB_HINTS = frozenset({"lb", "alb", "nlb", "elb", "edge", "ingress"})


def ident(name: str, used: set[str] | None = None) -> str:
    """A Terraform identifier from any name, unique within ``used`` when given."""
    base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "r"
    if not base[0].isalpha():
        base = f"r_{base}"
    base = base[:48]
    if used is None:
        return base
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}_{n}", n + 1
    used.add(candidate)
    return candidate


def is_cidr(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class SgRule:
    ident: str
    direction: str
    protocol: str
    from_port: int
    to_port: int
    cidr: str | None
    peer: str | None  # identifier of the referenced security group
    description: str
    skip: str = ""  # a checkov skip with its reason, written next to the rule


HTTP_REDIRECT_SKIP = (
    "CKV_AWS_260: the public HTTP listener only answers with a 301 redirect to HTTPS"
)


@dataclass
class SecurityGroup:
    ident: str
    name: str
    rules: list[SgRule] = field(default_factory=list)
    attach: str = "external"  # database | hosts | lb | external


@dataclass(frozen=True)
class SubnetSpec:
    ident: str
    name: str
    tier: str
    zone: str
    cidr: str


def _owner_and_peer(rule: FirewallRule, network: NetworkPlan) -> tuple[str, str]:
    """The security group a rule belongs to and the other side (CIDR or group name)."""
    own, other = (
        (rule.destination, rule.source)
        if rule.direction == "ingress"
        else (rule.source, rule.destination)
    )
    if is_cidr(own):
        match = [s.name for s in network.subnets if s.cidr == own]
        own = match[0] if match else f"{rule.direction}-{own}"
    return own, other


WORLD = ("0.0.0.0/0", "::/0")
# Checkov findings the automation engineer can remediate in the network data it codifies.
WORLD_PORT_FIXES: dict[str, int] = {"CKV_AWS_24": 22, "CKV_AWS_25": 3389, "CKV_AWS_260": 80}


def _peer(rule: FirewallRule, other: str, network: NetworkPlan, fixes: frozenset[str]) -> str:
    """The rule's other side; world-open admin/HTTP ports narrowed to the VPC when flagged."""
    narrowed = {port for check, port in WORLD_PORT_FIXES.items() if check in fixes}
    if other in WORLD and rule.direction == "ingress" and rule.port in narrowed:
        return network.vpc_cidr
    return other


def security_groups(
    network: NetworkPlan,
    db: DatabasePlan | None,
    prefix: str,
    fixes: frozenset[str] = frozenset(),
) -> list[SecurityGroup]:
    groups: dict[str, SecurityGroup] = {}
    used: set[str] = set()
    rule_ids: set[str] = set()
    for rule in network.rules:
        own, other = _owner_and_peer(rule, network)
        other = _peer(rule, other, network, fixes)
        if other == EXISTING_VPC:  # a Modify: the existing VPC's range is an input
            other = VPC_CIDR_VARIABLE
        for name in (own, other):
            if not is_cidr(name) and name != VPC_CIDR_VARIABLE and name not in groups:
                groups[name] = SecurityGroup(ident=ident(name, used), name=name)
        icmp = rule.protocol == "icmp"
        groups[own].rules.append(
            SgRule(
                ident=ident(rule.name, rule_ids),
                direction=rule.direction,
                protocol=rule.protocol,
                from_port=-1 if icmp else rule.port,
                to_port=-1 if icmp else rule.port,
                cidr=other if is_cidr(other) or other == VPC_CIDR_VARIABLE else None,
                peer=None if is_cidr(other) or other == VPC_CIDR_VARIABLE else groups[other].ident,
                description=rule.description or f"{rule.direction} {rule.name}",
            )
        )
    for group in groups.values():
        group.attach = _attachment(group, db, prefix)
        if group.attach == "lb" and network.load_balancer is not None:
            group.rules = [_redirect_skip(r) for r in group.rules]
    return [groups[k] for k in sorted(groups)]


def _redirect_skip(rule: SgRule) -> SgRule:
    if rule.direction == "ingress" and rule.from_port == 80 and rule.cidr in WORLD:
        return SgRule(**{**rule.__dict__, "skip": HTTP_REDIRECT_SKIP})
    return rule


def _tokens(name: str) -> set[str]:
    return set(re.split(r"[^a-z0-9]+", name.lower()))


def _attachment(group: SecurityGroup, db: DatabasePlan | None, prefix: str) -> str:
    """Which workload in this bundle wears the group, judged by its tier name and ports."""
    tier = group.name.removeprefix(f"{prefix}-")
    tokens = _tokens(tier)
    ingress = {r.from_port for r in group.rules if r.direction == "ingress"}
    if db is not None:
        hints = CACHE_HINTS if db.engine is Engine.REDIS else DB_HINTS
        if tokens & hints or db.port in ingress:
            return "database"
    if tokens & LB_HINTS:
        return "lb"
    if tokens & (DB_HINTS | CACHE_HINTS):
        return "external"
    return "hosts"


def host_groups(groups: list[SecurityGroup], ctx: RoleContext, prefix: str) -> dict[str, list[str]]:
    """Security groups each host wears: groups named like the host, else the "app" tier."""
    candidates = [g for g in groups if g.attach == "hosts"]
    worn: dict[str, list[str]] = {}
    for host in hosts(ctx):
        name = _tokens(host.name.removeprefix(f"{prefix}-"))
        match = [g.ident for g in candidates if _tokens(g.name.removeprefix(f"{prefix}-")) & name]
        app = [g.ident for g in candidates if "app" in _tokens(g.name.removeprefix(f"{prefix}-"))]
        worn[host.ident] = match or app
    return worn


def _detach_unused(groups: list[SecurityGroup], ctx: RoleContext, prefix: str) -> None:
    """Groups whose workload is not in this bundle are used by workloads elsewhere."""
    worn = {g for idents in host_groups(groups, ctx, prefix).values() for g in idents}
    present = {
        "database": ctx.database is not None,
        "lb": ctx.network is not None and ctx.network.load_balancer is not None,
    }
    for group in groups:
        keep = group.ident in worn if group.attach == "hosts" else present.get(group.attach)
        if not keep:
            group.attach = "external"


@dataclass(frozen=True)
class HostInstance:
    ident: str
    name: str
    purpose: str
    os: str
    instance_type: str
    count: int


def subnets(network: NetworkPlan) -> list[SubnetSpec]:
    used: set[str] = set()
    return [
        SubnetSpec(ident(s.name, used), s.name, s.tier, s.zone, s.cidr) for s in network.subnets
    ]


def hosts(ctx: RoleContext) -> list[HostInstance]:
    if ctx.servers is None:
        return []
    used: set[str] = set()
    return [
        HostInstance(ident(h.name, used), h.name, h.purpose, h.os, h.instance_type, h.count)
        for h in ctx.servers.hosts
        if h.count > 0
    ]


def ami_filter(os_name: str) -> tuple[str, str]:
    """(owner, name pattern) for the AMI data source from the baseline's OS string."""
    lowered = os_name.lower()
    if "debian" in lowered:
        return "136693071363", "debian-12-arm64-*"
    if "amazon" in lowered:
        return "137112412989", "al2023-ami-2023*-arm64"
    return "099720109477", "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-*"


def bucket_purposes(ctx: RoleContext) -> list[str]:
    components = ctx.design.components if ctx.design is not None else []
    purposes: list[str] = []
    if "object-storage" in components:
        purposes.append("data")
    if ctx.database is not None:
        purposes.append("backups")
    return purposes


def _vars(request: ChangeRequest, ctx: RoleContext, fixes: frozenset[str]) -> dict[str, object]:
    design = ctx.design
    network = ctx.network
    db = ctx.database
    prefix = naming.resource_prefix(request)
    groups = security_groups(network, db, prefix, fixes) if network else []
    _detach_unused(groups, ctx, prefix)
    data_subnets = [s for s in subnets(network) if s.tier == "data"] if network else []
    private = [s for s in subnets(network) if s.tier == "private"] if network else []
    dns_used: set[str] = set()
    vpn = iac_vpn.spec(network, groups) if network and iac_vpn.wanted(network) else None
    prod = request.environment is Environment.PROD
    public = [s for s in subnets(network) if s.tier == "public"] if network else []
    nats, tables = (
        iac_routes.routing(
            network,
            {s.name: s.ident for s in subnets(network)},
            prefix,
            prod=prod,
            nat=bool(public and (private or data_subnets)),
        )
        if network
        else ([], [])
    )
    return {
        "request": request,
        "prefix": naming.resource_prefix(request),
        "tags": naming.tags(request),
        "region": design.region if design else (request.region or "us-east-1"),
        "env": request.environment.value,
        "prod": prod,
        "nats": nats,
        "private_tables": tables,
        "mode": "create",
        "required_version": "1.6.0",
        "existing_vars": network is None,
        "kms_key": True,
        "existing": False,
        "network": network,
        "vpc_cidr": network.vpc_cidr if network else DEFAULT_VPC_CIDR,
        "subnets": subnets(network) if network else [],
        "groups": groups,
        "db": db,
        "db_instances": list(range(1 + db.read_replicas)) if db else [],
        "db_subnets": data_subnets or private,
        "db_groups": [g for g in groups if g.attach == "database"],
        "lb_groups": [g for g in groups if g.attach == "lb"],
        "host_sgs": host_groups(groups, ctx, prefix),
        "hosts_default_sg": not all(host_groups(groups, ctx, prefix).values()),
        "lb_http": any(r.skip for g in groups for r in g.rules),
        "host_subnets": private or data_subnets,
        "public_subnets": public,
        "hosts": hosts(ctx),
        "ami": {h.ident: ami_filter(h.os) for h in hosts(ctx)},
        "buckets": bucket_purposes(ctx),
        "dns_targets": dns_targets(network, db, prefix) if network else [],
        "dns_ids": [ident(f"dns_{d.name}", dns_used) for d in network.dns_records]
        if network
        else [],
        "fixes": sorted(fixes),
        "vpn": vpn,
        "vpn_rule_ids": vpn.rule_idents if vpn else frozenset(),
        "bgp_asn": iac_vpn.DEFAULT_BGP_ASN,
        "amazon_asn": iac_vpn.AMAZON_SIDE_ASN,
    }


def dns_targets(network: NetworkPlan, db: DatabasePlan | None, prefix: str) -> list[str]:
    """HCL expression for each DNS record whose value names a resource in this bundle."""
    lb = network.load_balancer
    db_groups = {g.name for g in security_groups(network, db, prefix) if g.attach == "database"}
    endpoint = ""
    if db is not None:
        endpoint = (
            "aws_elasticache_replication_group.main.primary_endpoint_address"
            if db.engine is Engine.REDIS
            else "aws_db_instance.main.address"
        )
    targets: list[str] = []
    for record in network.dns_records:
        if lb is not None and record.value == lb.name:
            targets.append("lb")
        elif endpoint and record.value in db_groups:
            targets.append(endpoint)
        else:
            targets.append("")
    return targets


FILES = ("main", "network", "database", "compute", "storage", "vpn")


def render_terraform(
    request: ChangeRequest, ctx: RoleContext, fixes: frozenset[str] = frozenset()
) -> list[Artifact]:
    variables = _vars(request, ctx, fixes)
    artifacts = []
    for name in FILES:
        if name == "network" and ctx.network is None:
            continue
        if name == "database" and ctx.database is None:
            continue
        if name == "compute" and not variables["hosts"]:
            continue
        if name == "vpn" and variables["vpn"] is None:
            continue
        content = render_template(f"automation/terraform/{name}.tf.j2", **variables)
        artifacts.append(
            Artifact(path=f"terraform/{name}.tf", role=ROLE, kind="terraform", content=content)
        )
    return artifacts
