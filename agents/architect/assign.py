"""Who works on a request and which human checkpoints it needs, from its typed intent.

Pure: the intent's facts (with their evidence) decide, and every assignment and checkpoint
carries the facts that caused it. When a checkpoint might apply, it is asked: a checkpoint
asked once too often costs a minute, one missed can cost an outage.
"""

from __future__ import annotations

from opsteam.domain.decisions import Assignment, RoleEngagement
from opsteam.domain.intent import Fact, Intent
from opsteam.domain.models import (
    ChangeRequest,
    ChangeType,
    CheckpointNeed,
    Component,
    Environment,
)
from opsteam.domain.registry import Registry
from opsteam.domain.request_routing import DesignComponent
from opsteam.domain.text import mentions
from opsteam.intake.intent import STATEFUL

SPECIALISTS = ("systems-administrator", "network-engineer", "database-administrator")
# Components that live in a network: new ones get subnets and firewall rules.
NETWORK_PLACED: frozenset[DesignComponent] = frozenset(
    {"web", "kubernetes", "database", "cache", "server", "load-balancer", "dns", "vpn", "firewall"}
)
EDGE: frozenset[DesignComponent] = frozenset({"load-balancer", "dns", "vpn", "firewall"})
MAX_FACTS = 3
# Exposure that is traffic to a store (a rule in front of it), not the store's own settings
# (its TLS versions, its certificate): the network's work alone.
_TRAFFIC = ("port", "firewall", "security group", "allowlist", "whitelist", "cidr", "ip range",
            "ingress", "reachable", "accessible from", "access from", "open port", "expose",
            "exposed", "public", "publicly", "internet", "internet-facing", "external access",
            "waf")  # fmt: skip


def _shown(facts: list[Fact]) -> list[str]:
    return [str(f) for f in facts[:MAX_FACTS]]


def _monitoring_only(intent: Intent, comps: set[DesignComponent]) -> bool:
    """Alerts, dashboards, SLOs, pod settings: the SRE and the automation engineer's work,
    even when they name the thing they watch ("alert on the orders db's replication lag")."""
    if intent.has("third_parties", asked=True) and not intent.existing_integration:
        return False  # a new vendor to ship to: agents on hosts, egress through the network
    return intent.watching and not intent.has("schemas", "data_work", asked=True)


def _host_work(request: ChangeRequest, intent: Intent, comps: set[DesignComponent]) -> list[str]:
    if "server" not in comps and not intent.has("hosts", asked=True):
        return []
    if request.type is ChangeType.REMOVE:
        return ["decommission hosts safely"]
    if request.type is ChangeType.MODIFY:
        return ["change the hosts' baseline", "patch or resize with a rolling window"]
    return ["provision hosts", "apply the hardening baseline", "set the patch window"]


def _network_facts(
    request: ChangeRequest, intent: Intent, comps: set[DesignComponent]
) -> list[Fact]:
    """Why the network changes: traffic, exposure or connectivity, or something new to place
    in a network. Changes inside a data store or on existing hosts move no traffic."""
    facts = intent.of("exposure", "connectivity", asked=True)
    vendors = intent.of("third_parties", asked=True)
    if vendors and not intent.existing_integration and request.type is ChangeType.NEW:
        facts = [*facts, *vendors]  # traffic to a new third party leaves through our egress
    placed = sorted(comps & NETWORK_PLACED)
    if request.type is ChangeType.NEW and placed:
        new = Fact(kind="placement", detail=f"new {', '.join(placed)}", evidence="components")
        facts = [new, *intent.of("placement", asked=True), *facts]
    edge = sorted(comps & EDGE)
    if edge:
        facts = [Fact(kind="exposure", detail=", ".join(edge), evidence="components"), *facts]
    return facts


def _data_facts(request: ChangeRequest, intent: Intent, comps: set[DesignComponent]) -> list[Fact]:
    """Why the Database Administrator works: a data store built, changed or removed, its
    schema or its backups. A firewall rule in front of a database is the network's."""
    work = intent.of("schemas", "data_work", asked=True)
    stores = comps & STATEFUL
    if work:
        return work
    if not stores:
        return []
    exposure_only = request.type is not ChangeType.NEW and any(
        mentions(f.detail, _TRAFFIC) for f in intent.of("exposure", asked=True)
    )
    if exposure_only:
        return []
    named = intent.of("data_stores", asked=True)
    return named or [
        Fact(kind="data_stores", detail=s, evidence="components") for s in sorted(stores)
    ]


def assignments_for(
    request: ChangeRequest, intent: Intent, components: list[DesignComponent], registry: Registry
) -> list[Assignment]:
    comps = set(components)
    if _monitoring_only(intent, comps):
        return []
    wanted: dict[str, tuple[str, list[str], list[str]]] = {}
    hosts = _host_work(request, intent, comps)
    if hosts:
        facts = _shown(intent.of("hosts", asked=True)) or ["server"]
        wanted["systems-administrator"] = ("the change touches hosts", hosts, facts)
    network = _network_facts(request, intent, comps)
    if network:
        tasks = ["least-privilege firewall rules"]
        if request.type is ChangeType.NEW:
            tasks.insert(0, "plan VPC and subnets")
        if comps & {"dns", "load-balancer", "web"}:
            tasks.append("DNS and load balancer / TLS")
        if "vpn" in comps:
            tasks.append("VPN connectivity")
        reason = "the change moves traffic, placement or connectivity"
        wanted["network-engineer"] = (reason, tasks, _shown(network))
    data = _data_facts(request, intent, comps)
    if data:
        tasks = ["engine, sizing and HA", "backups meeting the RPO"]
        if request.type is not ChangeType.NEW:
            tasks.append("migration and rollback plan")
        wanted["database-administrator"] = (
            "the change stores or changes data",
            tasks,
            _shown(data),
        )
    return [
        Assignment(
            role=registry.role(slug).slug,
            reason=wanted[slug][0],
            tasks=wanted[slug][1],
            facts=wanted[slug][2],
        )
        for slug in SPECIALISTS
        if slug in wanted
    ]


def _need(kind: str, reason: str, facts: list[Fact]) -> CheckpointNeed:
    return CheckpointNeed.model_validate({"kind": kind, "reason": reason, "facts": _shown(facts)})


_STATEFUL_FORMS = frozenset({Component.DATABASE, Component.CACHE, Component.STORAGE})


def _store_asked(request: ChangeRequest, intent: Intent) -> bool:
    return request.component in _STATEFUL_FORMS or intent.has("data_stores", asked=True)


def _architecture(
    request: ChangeRequest, intent: Intent, comps: set[DesignComponent]
) -> CheckpointNeed | None:
    """New services, clusters, regions, data stores, platforms and migrations between them."""
    topology = intent.of("topology", asked=True)
    if topology:
        return _need(
            "architecture-change", f"changes the architecture: {topology[0].detail}", topology
        )
    if request.type is not ChangeType.NEW:
        return None
    # A store that is itself asked for (not only watched or named as context).
    stores = comps & {"database", "cache"} if _store_asked(request, intent) else set()
    # A new service; "add egress for the payments pods" is traffic, not a service.
    if "web" in comps and not intent.has("third_parties", "connectivity", asked=True):
        stores.add("web")
    prod = request.environment is Environment.PROD
    if stores or (prod and "object-storage" in comps):
        made = ", ".join(sorted(stores or {"object-storage"})).replace("web", "service")
        fact = Fact(kind="topology", detail=f"new {made}", evidence="components")
        return _need("architecture-change", f"adds a new {made}", [fact])
    return None


def _external(request: ChangeRequest, intent: Intent) -> CheckpointNeed | None:
    """A new third party: a vendor, partner or outside API the design starts to depend on.
    Removing one, or fixing one that is already integrated, is no new integration."""
    third = intent.of("third_parties")
    if not third or request.type is ChangeType.REMOVE or intent.existing_integration:
        return None
    names = ", ".join(dict.fromkeys(f.detail for f in third[:MAX_FACTS]))
    return _need("external-integration", f"integrates {names}", third)


def _schema(
    request: ChangeRequest, intent: Intent, comps: set[DesignComponent]
) -> CheckpointNeed | None:
    """A schema change on data customers depend on (production data counts as theirs)."""
    prod = request.environment is Environment.PROD
    replica = any("replica" in f.detail for f in intent.of("data_work"))
    if request.type is ChangeType.REMOVE and prod and "database" in comps and not replica:
        fact = Fact(kind="schemas", detail="drops a production database", evidence="type: Remove")
        return _need("customer-schema-change", "removes a production database", [fact])
    schemas = intent.of("schemas", asked=True)
    if not schemas or not comps & {"database", "cache"}:
        return None
    customers = intent.of("customers")
    if not prod and not customers:
        return None
    where = "production data" if prod else "customer data"
    words = ", ".join(f.detail for f in schemas[:MAX_FACTS])
    return _need(
        "customer-schema-change", f"schema change ({words}) on {where}", schemas + customers
    )


def checkpoints_for(
    request: ChangeRequest, intent: Intent, components: list[DesignComponent], registry: Registry
) -> list[CheckpointNeed]:
    comps = set(components)
    found = (
        _architecture(request, intent, comps),
        _external(request, intent),
        _schema(request, intent, comps),
    )
    needs = [n for n in found if n is not None]
    other = intent.of("other_divisions")
    if other:
        owners = [
            r.owner
            for r in registry.out_of_scope
            if any(f.detail in r.triggers or f.detail == r.owner for f in other)
        ]
        who = ", ".join(sorted(set(owners))) or "another division"
        needs.append(_need("cross-division", f"also involves {who}", other))
    if request.environment is Environment.PROD:
        fact = Fact(kind="placement", detail="production", evidence="environment: prod")
        needs.append(_need("production-change", "changes production", [fact]))
    return needs


def engaged_roles(text: str, registry: Registry) -> list[RoleEngagement]:
    """Roles added to the roster whose triggers the request's words (lower-cased) mention:
    the same pure trigger matching as everywhere, never a model call."""
    found = []
    for role in registry.extra_roles:
        words = mentions(text, role.triggers)[:MAX_FACTS]
        if words:
            reason = f"the request mentions {', '.join(words)}"
            found.append(RoleEngagement(role=role.slug, reason=reason, facts=words))
    return found


def with_role_checkpoints(
    needs: list[CheckpointNeed], engaged: list[RoleEngagement], registry: Registry
) -> list[CheckpointNeed]:
    """The request's checkpoints plus those each engaged role requires (each kind asked once;
    one the request already needs keeps its own reason)."""
    have = {n.kind for n in needs}
    added = []
    for engagement in engaged:
        role = registry.role(engagement.role)
        for kind in role.checkpoints:
            if kind not in have:
                have.add(kind)
                reason = f"the {role.name} works on this change and requires it"
                added.append(CheckpointNeed(kind=kind, reason=reason, facts=engagement.facts))
    return [*needs, *added]
