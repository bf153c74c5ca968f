"""The Network Engineer: address plan, least-privilege rules, DNS, load balancing and VPN.

``decide`` is pure: the same request and design always give the same :class:`NetworkPlan`.
Every rule names the narrowest source that still lets the service work, because a security
group opened "just for now" is how data stores end up on the internet.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Network
from typing import Literal, TypedDict

from opsteam.agents.base import RoleContext
from opsteam.agents.network.cidr import (
    EXISTING_VPC,
    carve_subnets,
    choose_vpc,
    vpc_prefix,
    vpc_ranges,
)
from opsteam.agents.network.monitoring import monitoring_path
from opsteam.agents.network.rules import Facts, facts_for, firewall_rules
from opsteam.domain import naming
from opsteam.domain.decisions import (
    ISSUER_FOR_SCHEME,
    DnsRecord,
    FirewallRule,
    LoadBalancer,
    NetworkPlan,
    Subnet,
    TlsPolicy,
)
from opsteam.domain.models import (
    Artifact,
    ChangeRequest,
    ChangeType,
    Component,
    Engine,
    Environment,
)
from opsteam.domain.registry import RoleSlug
from opsteam.prompts import render as render_template

ROLE: RoleSlug = "network-engineer"
# What a Modify changes at the edge: the load balancer's listeners and the records that point at it.
_EDGE = (Component.LOAD_BALANCER, Component.DNS, Component.NETWORK)

TLS_POLICY: TlsPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"  # TLS 1.3 and 1.2
TLS13_ONLY_POLICY: TlsPolicy = "ELBSecurityPolicy-TLS13-1-3-2021-06"  # asked for 1.3 only
# Only words that drop TLS 1.2 ask for 1.3 only ("TLS 1.3 only", "minimum TLS 1.3", "disable
# TLS 1.2"); "enforce TLS 1.3" is met by a policy that offers 1.3 and keeps 1.2 clients.
_TLS = r"\btls\s*(?:v|version\s*)?"
_TLS13_ONLY = re.compile(
    rf"\b(?:only|minimum|min|at\s+least)\b[^.]{{0,30}}{_TLS}1\.3\b"
    rf"|{_TLS}1\.3[\s-]*(?:only|minimum|or\s+(?:later|higher|above))\b"
    rf"|\b(?:no|disable|drop|reject|refuse|block)\s+{_TLS}1\.[0-2]\b",
    re.IGNORECASE,
)
_TLS13_NAMED = re.compile(rf"{_TLS}1\.3\b", re.IGNORECASE)
DEFAULT_HEALTH_PATH = "/healthz"
Scheme = Literal["internet-facing", "internal"]
DNS_TTL: dict[Environment, int] = {
    Environment.DEV: 60,
    Environment.STAGING: 60,
    Environment.PROD: 300,
}

_FQDN = re.compile(r"\b((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:com|net|org|io|dev|app))\b")
_HEALTH = re.compile(r"(/[a-z0-9_/-]*health[a-z0-9_/-]*)")


def new_vpc_range(request: ChangeRequest, ctx: RoleContext) -> IPv4Network:
    """The range of a VPC this request creates: the one its stack already has (opsteam built
    it before), else the first free block of the pool that overlaps neither the requester's
    ranges nor any range opsteam allocated to another stack."""
    prefix = naming.resource_prefix(request)
    own = ctx.inputs.stack(prefix)
    if own is not None and own.vpc_cidr is not None:
        return own.vpc_cidr
    taken = [*request.existing_cidrs, *ctx.inputs.allocated(except_prefix=prefix)]
    return choose_vpc(taken, vpc_prefix(request.environment), ctx.inputs.address_pool)


def _subnets(
    request: ChangeRequest, facts: Facts, ctx: RoleContext
) -> tuple[IPv4Network, list[Subnet]]:
    vpc = new_vpc_range(request, ctx)
    carved = carve_subnets(vpc, facts.zones)
    subnets = [
        Subnet(name=f"{facts.prefix}-{tier}-{zone}", tier=tier, zone=zone, cidr=str(net))
        for tier, zone, net in carved
    ]
    return vpc, subnets


def _domain(request: ChangeRequest, facts: Facts) -> str:
    service, env = request.service_name, request.environment.value
    if not facts.public:
        return private_zone(request)
    found = _FQDN.search(request.text)
    if found:
        return found.group(1)
    return (
        f"{service}.example.com"
        if request.environment is Environment.PROD
        else (f"{service}.{env}.example.com")
    )


def _dns(request: ChangeRequest, facts: Facts) -> list[DnsRecord]:
    ttl = DNS_TTL[request.environment]
    records: list[DnsRecord] = []
    if facts.has_lb or facts.has("dns"):
        target = facts.sg("alb") if facts.has_lb else facts.sg("app")
        kind = "ALIAS" if facts.has_lb else "CNAME"
        records.append(DnsRecord(name=_domain(request, facts), type=kind, value=target, ttl=ttl))
    zone = private_zone(request)
    if facts.has("database") and facts.engine is not None:
        tier = "cache" if facts.engine is Engine.REDIS else "db"
        records.append(
            DnsRecord(name=f"{tier}.{zone}", type="CNAME", value=facts.sg(tier), ttl=ttl)
        )
    if facts.has("cache") and facts.engine is not Engine.REDIS:
        records.append(
            DnsRecord(name=f"cache.{zone}", type="CNAME", value=facts.sg("cache"), ttl=ttl)
        )
    return records


def private_zone(request: ChangeRequest) -> str:
    """The service's private zone, attached to its VPC: one per service and environment, so
    two services sharing a VPC never claim the same zone name."""
    return f"{request.service_name}.{request.environment.value}.internal"


def tls_policy(request: ChangeRequest) -> TlsPolicy:
    """TLS 1.3 only when the request asks for it (TLS 1.2 clients fail); else 1.3 and 1.2."""
    said = f"{request.request}. {request.description}"
    return TLS13_ONLY_POLICY if _TLS13_ONLY.search(said) else TLS_POLICY


def _tls_note(request: ChangeRequest, facts: Facts) -> list[str]:
    """What the decided TLS policy means for the clients, when the request names TLS 1.3."""
    said = f"{request.request}. {request.description}"
    if not facts.has_lb or not _TLS13_NAMED.search(said):
        return []
    if tls_policy(request) == TLS13_ONLY_POLICY:
        return [
            "TLS 1.3 only, as asked: clients limited to TLS 1.2 (older SDKs and JVMs, partner "
            "integrations) fail the handshake. Inventory the clients or stage the rollout first."
        ]
    return [
        "TLS 1.3 is offered and preferred; TLS 1.2 stays accepted so current clients keep "
        "working. Ask for TLS 1.3 only to drop TLS 1.2 (its clients then fail)."
    ]


def _load_balancer(request: ChangeRequest, facts: Facts) -> LoadBalancer | None:
    if not facts.has_lb:
        return None
    health = _HEALTH.search(request.description.lower())
    scheme: Scheme = "internet-facing" if facts.public else "internal"
    return LoadBalancer(
        name=facts.sg("alb"),
        scheme=scheme,
        listener_port=443,
        target_port=facts.target_port,
        app_port=facts.app_ports[0],
        node_port=facts.node_port,
        tls_policy=tls_policy(request),
        certificate=_domain(request, facts),
        # A private name (.internal) behind an internal load balancer: no public CA issues
        # for it and no public zone validates it, so the account's private CA issues it.
        certificate_issuer=ISSUER_FOR_SCHEME[scheme],
        health_check_path=health.group(1) if health else DEFAULT_HEALTH_PATH,
    )


class _AppPort(TypedDict, total=False):
    app_port: int
    app_port_assumed: bool
    assumptions: list[str]


def _app_port(facts: Facts) -> _AppPort:
    """The workload's port as the plan records it: named by the request, or assumed (then
    said so, to be confirmed). None when the plan reaches no application."""
    if not facts.has_app:
        return _AppPort()
    port = facts.app_ports[0]
    if not facts.app_port_assumed:
        return {"app_port": port}
    return {
        "app_port": port,
        "app_port_assumed": True,
        "assumptions": [
            f"Application port {port} is assumed: the request names no port. Confirm the "
            "port the service listens on before applying."
        ],
    }


def _vpn(facts: Facts, vpc: str) -> dict[str, str]:
    if not facts.has("vpn"):
        return {}
    settings = {
        "type": "site-to-site",
        "ike_version": "ikev2",
        "local_cidr": vpc,
        "encryption": "aes256-gcm16",
        "integrity": "sha2-256",
        "dh_group": "20",
        "routing": "static",
        "tunnels": "2",
    }
    if facts.peer_cidr:
        settings["peer_cidr"] = facts.peer_cidr
    return settings


def _range_note(request: ChangeRequest, ctx: RoleContext) -> str:
    if ctx.design.existing_network:
        return (
            "Existing shared network: no VPC, subnet, NAT gateway or route table is created; "
            "the VPC and its subnets are Terraform inputs."
        )
    prefix = naming.resource_prefix(request)
    own = ctx.inputs.stack(prefix)
    if own is not None and own.vpc_cidr is not None:
        return f"VPC range kept from the stack opsteam built for {prefix} ({own.vpc_cidr})."
    pool = ", ".join(str(p) for p in ctx.inputs.address_pool)
    return (
        f"VPC range allocated from the address pool ({pool}), avoiding "
        f"{len(request.existing_cidrs)} existing range(s) and "
        f"{len(ctx.inputs.allocated(prefix))} range(s) opsteam already allocated."
    )


def _notes(request: ChangeRequest, facts: Facts, ctx: RoleContext) -> list[str]:
    dba = ctx.registry.role("database-administrator").name
    sysadmin = ctx.registry.role("systems-administrator").name
    notes = [_range_note(request, ctx)]
    if ctx.design.existing_network and facts.has_lb and request.type is ChangeType.NEW:
        notes.append(
            "The shared VPC's subnet ranges are not known here: the pods admit the load "
            "balancer from the VPC's range; narrow the environment's NetworkPolicy to the "
            "public subnets' ranges once they are."
        )
    if request.type is ChangeType.MODIFY:
        notes = [
            "Modify: works in the existing network; no VPC or subnet is created. "
            "Only the rules, records and listeners listed here change."
        ]
    if request.type is ChangeType.MODIFY and request.component is Component.FIREWALL:
        notes.append("Modify: only the rules listed change; every other rule stays as it is.")
    if request.type is ChangeType.REMOVE:
        notes.append(
            "Remove: delete the listed rules and DNS records after traffic drains; "
            "the VPC and subnets are kept until no other service uses them."
        )
    if facts.engine is not None and facts.has("database"):
        notes.append(
            f"The {dba} owns the {facts.engine.value} instance; port "
            f"{naming.engine_port(facts.engine)} is open only from "
            f"{'the VPC range' if ctx.design.existing_network else 'private subnets'}."
        )
    if facts.hosts and request.type is not ChangeType.REMOVE:
        notes.append(
            f"The {sysadmin} hardens the hosts; SSH is reachable only from "
            f"{facts.peer_cidr or facts.sg('bastion')}."
        )
    if facts.has("vpn") and facts.peer_cidr is None:
        notes.append("VPN peer CIDR unknown: the requester must supply the on-premises range.")
    return notes + _tls_note(request, facts)


def existing_vpc(request: ChangeRequest, peer: str | None) -> IPv4Network | None:
    """A Modify's existing VPC: the first existing range that is not the VPN partner's."""
    partner = IPv4Network(peer, strict=False) if peer else None
    return next(
        (n for n in request.existing_cidrs if partner is None or not n.overlaps(partner)), None
    )


def _modify_rules(request: ChangeRequest, facts: Facts, vpc: str) -> list[FirewallRule]:
    """Only the rules the Modify changes (the Terraform takes an unknown VPC range as input)."""
    rules = firewall_rules(request, facts, vpc, [])
    if request.component in _EDGE:
        alb = facts.sg("alb")
        return [r for r in rules if alb in (r.source, r.destination)]
    if request.component is Component.VPN and facts.peer_cidr:
        return [r for r in rules if facts.peer_cidr in (r.source, r.destination)]
    return rules


def known_vpc(request: ChangeRequest, ctx: RoleContext, peer: str | None) -> str:
    """The range of a VPC that exists: the one opsteam built for this stack, else the one the
    request names, else the marker that makes it a Terraform input."""
    own = ctx.inputs.stack(naming.resource_prefix(request))
    if own is not None and own.vpc_cidr is not None and not ctx.design.existing_network:
        return str(own.vpc_cidr)
    found = existing_vpc(request, peer)
    return str(found) if found is not None else EXISTING_VPC


def _existing_network(request: ChangeRequest, facts: Facts, ctx: RoleContext) -> NetworkPlan:
    """A New request in a shared network: its rules, records and load balancer, no VPC."""
    vpc = known_vpc(request, ctx, facts.peer_cidr)
    monitoring = monitoring_path(request, facts)
    return NetworkPlan(
        vpc_cidr=vpc,
        subnets=[],
        existing_vpc=True,
        rules=firewall_rules(
            request, facts, vpc, vpc_ranges(vpc), subnets=False, monitoring=monitoring
        ),
        monitoring=monitoring,
        dns_records=_dns(request, facts),
        private_zone=_zone_for(request, _dns(request, facts)),
        load_balancer=_load_balancer(request, facts),
        vpn=_vpn(facts, vpc),
        notes=_notes(request, facts, ctx),
        **_app_port(facts),
    )


def _zone_for(request: ChangeRequest, records: list[DnsRecord]) -> str:
    """The private zone when a record lives in it (the stack creates it), else none."""
    zone = private_zone(request)
    inside = any(d.name == zone or d.name.endswith(f".{zone}") for d in records)
    return zone if inside else ""


def _modify(request: ChangeRequest, facts: Facts, ctx: RoleContext) -> NetworkPlan:
    """A Modify works in the network that exists: no new range, no subnets."""
    vpc = known_vpc(request, ctx, facts.peer_cidr)
    records = _dns(request, facts)
    if request.component in _EDGE and facts.has_lb:
        records = [d for d in records if d.value == facts.sg("alb")]
    return NetworkPlan(
        vpc_cidr=vpc,
        subnets=[],
        existing_vpc=True,
        rules=_modify_rules(request, facts, vpc),
        dns_records=records,
        private_zone=_zone_for(request, records),
        load_balancer=_load_balancer(request, facts),
        vpn=_vpn(facts, vpc),
        notes=_notes(request, facts, ctx),
        **_app_port(facts),
    )


def nat_zones(request: ChangeRequest, subnets: list[Subnet]) -> list[str]:
    """Zones with a NAT gateway: every zone in production (a zone loss never cuts the others
    off), one shared gateway elsewhere; none when nothing private needs a way out."""
    public = list(dict.fromkeys(s.zone for s in subnets if s.tier == "public"))
    if not public or not any(s.tier != "public" for s in subnets):
        return []
    return public if request.environment is Environment.PROD else public[:1]


def decide(request: ChangeRequest, ctx: RoleContext) -> NetworkPlan:
    facts = facts_for(request, ctx)
    if request.type is ChangeType.MODIFY:
        return _modify(request, facts, ctx)
    if ctx.design.existing_network and request.type is ChangeType.NEW:
        return _existing_network(request, facts, ctx)
    vpc, subnets = _subnets(request, facts, ctx)
    private = [s.cidr for s in subnets if s.tier == "private"]
    carved = [] if request.type is ChangeType.REMOVE else subnets
    monitoring = monitoring_path(request, facts)
    return NetworkPlan(
        vpc_cidr=str(vpc),
        subnets=carved,
        nat_zones=nat_zones(request, carved),
        rules=firewall_rules(request, facts, str(vpc), private, monitoring=monitoring),
        monitoring=monitoring,
        dns_records=_dns(request, facts),
        private_zone=_zone_for(request, _dns(request, facts)),
        load_balancer=_load_balancer(request, facts),
        vpn=_vpn(facts, str(vpc)),
        notes=_notes(request, facts, ctx),
        **_app_port(facts),
    )


def render(decision: NetworkPlan, request: ChangeRequest, ctx: RoleContext) -> list[Artifact]:
    content = render_template(
        "network/network-plan.md.j2",
        plan=decision,
        request=request,
        author=ctx.registry.role(ROLE).name,
        prefix=naming.resource_prefix(request),
        existing_vpc=EXISTING_VPC,
    )
    return [Artifact(path="network/network-plan.md", role=ROLE, kind="markdown", content=content)]
