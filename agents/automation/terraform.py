"""Terraform for the automation engineer: codifies the network, database, server and storage
decisions exactly as the other roles made them (names, CIDRs, ports, sizes come from ``ctx``).

:func:`stack` decides everything a template prints (identifiers, which group a rule belongs to,
which workload wears which group, NAT and route tables) into a typed
:class:`~opsteam.domain.decisions.TerraformStack`; :func:`render_terraform` only feeds
templates in ``prompts/automation/terraform``. Every user-derived string goes through the
template's ``hcl`` filter.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

from opsteam.agents.automation import cluster as iac_cluster
from opsteam.agents.automation import inputs as iac_inputs
from opsteam.agents.automation import vpn as iac_vpn
from opsteam.agents.automation import wiring
from opsteam.agents.automation.routes import routing
from opsteam.agents.base import RoleContext
from opsteam.agents.network.cidr import CIDR_INPUTS
from opsteam.domain import naming
from opsteam.domain.decisions import (
    BucketPlan,
    DatabasePlan,
    FirewallRule,
    HostInstance,
    NetworkPlan,
    SecurityGroup,
    SgRule,
    SubnetSpec,
    TerraformStack,
)
from opsteam.domain.decisions.compute import Architecture
from opsteam.domain.models import Artifact, ChangeRequest, Engine, Environment
from opsteam.domain.registry import RoleSlug
from opsteam.prompts import render as render_template

ROLE: RoleSlug = "automation-engineer"
DEFAULT_VPC_CIDR = "10.0.0.0/16"
# The S3 backend's lockfile locking (use_lockfile) needs Terraform 1.10.
REQUIRED_VERSION = "1.10.0"
DB_HINTS = frozenset({"db", "data", "database", "rds", "postgres", "postgresql", "mysql"})
CACHE_HINTS = frozenset({"cache", "redis", "elasticache"})
LB_HINTS = frozenset({"lb", "alb", "nlb", "elb", "edge", "ingress"})
WORLD = ("0.0.0.0/0", "::/0")
# Checkov findings the automation engineer can remediate in the network data it codifies.
WORLD_PORT_FIXES: dict[str, int] = {"CKV_AWS_24": 22, "CKV_AWS_25": 3389, "CKV_AWS_260": 80}
HTTP_REDIRECT_SKIP = (
    "CKV_AWS_260: the public HTTP listener only answers with a 301 redirect to HTTPS"
)


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


def _narrowed(rule: FirewallRule, other: str, rule_id: str, narrow: frozenset[str]) -> bool:
    """A world-open admin/HTTP ingress a validator flagged (by rule, or by check for the port)."""
    if other not in WORLD or rule.direction != "ingress":
        return False
    ports = {port for check, port in WORLD_PORT_FIXES.items() if check in narrow}
    return rule_id in narrow or rule.port in ports


def security_groups(
    network: NetworkPlan,
    db: DatabasePlan | None,
    prefix: str,
    narrow: frozenset[str] = frozenset(),
) -> list[SecurityGroup]:
    """The network plan's rules grouped by the workload they protect, with identifiers.

    ``narrow`` holds rule identifiers (or check ids) whose world-open ingress a validator
    flagged: those rules admit the VPC range instead.
    """
    members: dict[str, list[SgRule]] = {}
    idents: dict[str, str] = {}
    used: set[str] = set()
    rule_ids: set[str] = set()
    for rule in network.rules:
        own, other = _owner_and_peer(rule, network)
        rule_id = ident(rule.name, rule_ids)
        if _narrowed(rule, other, rule_id, narrow):
            other = network.vpc_cidr
        # a Modify's existing VPC, the monitoring network: ranges that are inputs
        other = CIDR_INPUTS.get(other, other)
        for name in (own, other):
            if not is_cidr(name) and name not in CIDR_INPUTS.values() and name not in idents:
                idents[name] = ident(name, used)
                members[name] = []
        icmp = rule.protocol == "icmp"
        cidr = other if is_cidr(other) or other in CIDR_INPUTS.values() else None
        members[own].append(
            SgRule(
                ident=rule_id,
                direction=rule.direction,
                protocol=rule.protocol,
                from_port=-1 if icmp else rule.port,
                to_port=-1 if icmp else rule.port,
                cidr=cidr,
                peer=None if cidr else idents[other],
                description=rule.description or f"{rule.direction} {rule.name}",
                port_variable=iac_inputs.APP_PORT_VARIABLE if rule.app_port and not icmp else None,
            )
        )
    groups = []
    for name in sorted(idents):
        attach = _attachment(name, members[name], db, prefix)
        rules = members[name]
        if attach == "lb" and network.load_balancer is not None:
            rules = [_redirect_skip(r) for r in rules]
        groups.append(SecurityGroup(ident=idents[name], name=name, rules=rules, attach=attach))
    return groups


def _redirect_skip(rule: SgRule) -> SgRule:
    if rule.direction == "ingress" and rule.from_port == 80 and rule.cidr in WORLD:
        return rule.model_copy(update={"skip": HTTP_REDIRECT_SKIP})
    return rule


def _tokens(name: str) -> set[str]:
    return set(re.split(r"[^a-z0-9]+", name.lower()))


def _attachment(name: str, rules: Iterable[SgRule], db: DatabasePlan | None, prefix: str) -> str:
    """Which workload in this bundle wears the group, judged by its tier name and ports."""
    tokens = _tokens(name.removeprefix(f"{prefix}-"))
    ingress = {r.from_port for r in rules if r.direction == "ingress"}
    if db is not None:
        hints = CACHE_HINTS if db.engine is Engine.REDIS else DB_HINTS
        if tokens & hints or db.port in ingress:
            return "database"
    if tokens & LB_HINTS:
        return "lb"
    if tokens & (DB_HINTS | CACHE_HINTS):
        return "external"
    return "hosts"


def host_groups(
    groups: list[SecurityGroup], hosts: list[HostInstance], prefix: str
) -> dict[str, list[str]]:
    """Security groups each host wears: groups named like the host, else the "app" tier."""
    candidates = [g for g in groups if g.attach == "hosts"]
    app = [g.ident for g in candidates if "app" in _tokens(g.name.removeprefix(f"{prefix}-"))]
    worn: dict[str, list[str]] = {}
    for host in hosts:
        name = _tokens(host.name.removeprefix(f"{prefix}-"))
        match = [g.ident for g in candidates if _tokens(g.name.removeprefix(f"{prefix}-")) & name]
        worn[host.ident] = match or app
    return worn


def _detach_unused(
    groups: list[SecurityGroup], worn: dict[str, list[str]], present: dict[str, bool]
) -> list[SecurityGroup]:
    """Groups whose workload is not in this bundle are used by workloads elsewhere."""
    used = {g for idents in worn.values() for g in idents}
    result = []
    for group in groups:
        keep = group.ident in used if group.attach == "hosts" else present.get(group.attach)
        result.append(group if keep else group.model_copy(update={"attach": "external"}))
    return result


def subnets(network: NetworkPlan) -> list[SubnetSpec]:
    used: set[str] = set()
    return [
        SubnetSpec(ident=ident(s.name, used), name=s.name, tier=s.tier, zone=s.zone, cidr=s.cidr)
        for s in network.subnets
    ]


def hosts(ctx: RoleContext) -> list[HostInstance]:
    if ctx.servers is None:
        return []
    used: set[str] = set()
    return [
        HostInstance(
            ident=ident(h.name, used),
            name=h.name,
            purpose=h.purpose,
            os=h.os,
            instance_type=h.instance_type,
            count=h.count,
            architecture=h.architecture,
        )
        for h in ctx.servers.hosts
        if h.count > 0
    ]


# How each publisher spells an architecture in its image names.
_DEB_ARCH: dict[Architecture, str] = {"x86_64": "amd64", "arm64": "arm64"}


def ami_filter(os_name: str, architecture: Architecture) -> tuple[str, str]:
    """(owner, name pattern) for the AMI data source from the baseline's OS string, for the
    CPU architecture the baseline decided with the instance type."""
    lowered, deb = os_name.lower(), _DEB_ARCH[architecture]
    if "debian" in lowered:
        return "136693071363", f"debian-12-{deb}-*"
    if "amazon" in lowered:
        return "137112412989", f"al2023-ami-2023*-{architecture}"
    return "099720109477", f"ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-{deb}-server-*"


LOG_RETENTION_DAYS = 365


def buckets(request: ChangeRequest, ctx: RoleContext) -> list[BucketPlan]:
    """Every bucket the stack creates with its lifecycle: the DBA's data buckets as planned,
    the log bucket and (with a database) the backup export bucket as the team keeps them."""
    noncurrent = 365 if request.environment is Environment.PROD else 90
    prefix = naming.resource_prefix(request)

    def kept(purpose: str) -> BucketPlan:
        return BucketPlan(
            name=f"{prefix}-{purpose}",
            purpose=purpose,
            versioning=True,
            noncurrent_days=noncurrent,
            transition_days=30,
            expiration_days=LOG_RETENTION_DAYS,
        )

    found = [kept("logs")]
    if ctx.storage is not None:
        found += ctx.storage.buckets
    if ctx.database is not None:
        found.append(kept("backups"))
    return found


def dns_targets(
    network: NetworkPlan, groups: list[SecurityGroup], db: DatabasePlan | None
) -> list[str]:
    """HCL expression for each DNS record whose value names a resource in this bundle."""
    lb = network.load_balancer
    db_groups = {g.name for g in groups if g.attach == "database"}
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


def stack(
    request: ChangeRequest, ctx: RoleContext, narrow: frozenset[str] = frozenset()
) -> TerraformStack:
    """Everything the New-stack templates print, decided from the team's decisions."""
    network, db = ctx.network, ctx.database
    prefix = naming.resource_prefix(request)
    nets = subnets(network) if network else []
    by_tier = {tier: [s for s in nets if s.tier == tier] for tier in ("public", "private", "data")}
    machines = hosts(ctx)
    groups = security_groups(network, db, prefix, narrow) if network else []
    worn = host_groups(groups, machines, prefix)
    lb = network.load_balancer if network is not None else None
    groups = _detach_unused(groups, worn, {"database": db is not None, "lb": lb is not None})
    k8s = iac_cluster.cluster(request, ctx, prefix) if network is not None else None
    groups = wiring.on_cluster(groups, None if machines else k8s)
    refs = wiring.group_refs(groups, k8s)
    vpn = (
        iac_vpn.spec(network, groups, existing_vpc=network.existing_vpc)
        if network and iac_vpn.wanted(network)
        else None
    )
    nats, tables = routing(network, nets, prefix) if network else ([], [])
    region, env = ctx.design.region, request.environment.value
    tiers = wiring.used_tiers(network, db, bool(machines))
    target = iac_cluster.target_group(lb, k8s) if lb is not None else None
    return TerraformStack(
        prefix=prefix,
        tags=naming.tags(request),
        region=region,
        env=env,
        prod=request.environment is Environment.PROD,
        required_version=REQUIRED_VERSION,
        backend=iac_inputs.stack_backend(request, region),
        vpc_cidr=network.vpc_cidr if network else DEFAULT_VPC_CIDR,
        vpc_ref=wiring.vpc_ref(network),
        subnet_refs=wiring.subnet_refs(network, nets),
        existing_network=network is not None and network.existing_vpc,
        variables=wiring.stack_variables(
            region=region, env=env, network=network, db=db, tiers=tiers, vpn=vpn, cluster=k8s
        )
        + iac_inputs.app_port_inputs(
            network.app_port if network else None, wiring.uses_app_port(groups, target)
        ),
        outputs=wiring.stack_outputs(network, db, tables, refs, prefix),
        group_refs=refs,
        cluster=k8s,
        target_group=target,
        backup_copy_regions=list(db.backup_copy_regions) if db else [],
        request_metrics=[b.purpose for b in ctx.storage.buckets] if ctx.storage else [],
        subnets=nets,
        public_subnets=by_tier["public"],
        host_subnets=by_tier["private"] or by_tier["data"],
        db_subnets=by_tier["data"] or by_tier["private"],
        nats=nats,
        private_tables=tables,
        groups=groups,
        db_groups=[g for g in groups if g.attach == "database"],
        lb_groups=[g for g in groups if g.attach == "lb"],
        lb_http=any(r.skip for g in groups for r in g.rules),
        host_sgs=worn,
        hosts_default_sg=not all(worn.values()),
        hosts=machines,
        ami={h.ident: ami_filter(h.os, h.architecture) for h in machines},
        db_instances=list(range(1 + db.read_replicas)) if db else [],
        replica_regions=list(db.replica_regions) if db else [],
        buckets=buckets(request, ctx),
        dns_ids=_dns_ids(network),
        dns_targets=dns_targets(network, groups, db) if network else [],
        vpn=vpn,
        vpn_rule_ids=sorted(vpn.rule_idents) if vpn else [],
        bgp_asn=iac_vpn.DEFAULT_BGP_ASN,
        fixes=sorted(narrow),
        existing_vars=network is None,
    )


def _dns_ids(network: NetworkPlan | None) -> list[str]:
    if network is None:
        return []
    used: set[str] = set()
    return [ident(f"dns_{d.name}", used) for d in network.dns_records]


FILES = ("main", "network", "database", "compute", "storage", "vpn", "kubernetes", "outputs")


def render_terraform(
    spec: TerraformStack, request: ChangeRequest, ctx: RoleContext
) -> list[Artifact]:
    """One file per part of the stack that exists; templates only fill values in."""
    refs = {"vpc_id": spec.vpc_ref, "kms_key_arn": "aws_kms_key.main.arn"}
    variables = {
        **dict(spec),
        "request": request,
        "network": ctx.network,
        "db": ctx.database,
        "storage": ctx.storage,
        "vpn_rule_ids": frozenset(spec.vpn_rule_ids),
        "refs": refs,
        "sg_refs": spec.group_refs,
        "vpc_cidr_ref": "data.aws_vpc.existing.cidr_block" if spec.existing_network else "",
        "owner": None,
        "mode": "create",
    }
    present = {
        "network": ctx.network is not None,
        "database": ctx.database is not None,
        "compute": bool(spec.hosts),
        "vpn": spec.vpn is not None,
        "kubernetes": spec.cluster is not None,
        "outputs": bool(spec.outputs),
    }
    files = [
        Artifact(
            path=f"terraform/{name}.tf",
            role=ROLE,
            kind="terraform",
            content=render_template(f"automation/terraform/{name}.tf.j2", **variables),
        )
        for name in FILES
        if present.get(name, True)
    ]
    return files + iac_inputs.module_files(
        ROLE, spec.variables, spec.backend, spec.tags, spec.prefix, spec.required_version
    )
