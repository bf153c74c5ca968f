"""Who works on a request and which human checkpoints it needs, from its typed intent.

Pure: the intent's facts (with their evidence) decide, and every assignment and checkpoint
carries the facts that caused it. When a checkpoint might apply, it is asked: a checkpoint
asked once too often costs a minute, one missed can cost an outage.
"""

from __future__ import annotations

from opsteam.domain.decisions import Assignment
from opsteam.domain.intent import Fact, Intent
from opsteam.domain.models import ChangeRequest, ChangeType, CheckpointNeed, Environment
from opsteam.domain.registry import Registry
from opsteam.domain.request_routing import DesignComponent
from opsteam.intake.intent import STATEFUL

SPECIALISTS = ("systems-administrator", "network-engineer", "database-administrator")
# Components that live in a network: new ones get subnets and firewall rules.
NETWORK_PLACED: frozenset[DesignComponent] = frozenset(
    {"web", "kubernetes", "database", "cache", "server", "load-balancer", "dns", "vpn", "firewall"}
)
EDGE: frozenset[DesignComponent] = frozenset({"load-balancer", "dns", "vpn", "firewall"})
MAX_FACTS = 3


def _shown(facts: list[Fact]) -> list[str]:
    return [str(f) for f in facts[:MAX_FACTS]]


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
    """Why the network changes: traffic, placement or connectivity (none: no network work)."""
    facts = intent.of("exposure", "placement", "connectivity", asked=True)
    placed = sorted(comps & NETWORK_PLACED)
    if placed and request.type is not ChangeType.MODIFY:
        verb = "new" if request.type is ChangeType.NEW else "removed"
        facts = [
            Fact(kind="placement", detail=f"{verb} {', '.join(placed)}", evidence="components"),
            *facts,
        ]
    elif comps & EDGE:
        facts = [
            Fact(kind="exposure", detail=", ".join(sorted(comps & EDGE)), evidence="components"),
            *facts,
        ]
    return facts


def assignments_for(
    request: ChangeRequest, intent: Intent, components: list[DesignComponent], registry: Registry
) -> list[Assignment]:
    comps = set(components)
    wanted: dict[str, tuple[str, list[str], list[str]]] = {}
    hosts = _host_work(request, intent, comps)
    if hosts:
        wanted["systems-administrator"] = (
            "the change touches hosts", hosts, _shown(intent.of("hosts", asked=True)) or ["server"]
        )  # fmt: skip
    network = _network_facts(request, intent, comps)
    if network:
        tasks = ["least-privilege firewall rules"]
        if request.type is ChangeType.NEW:
            tasks.insert(0, "plan VPC and subnets")
        if comps & {"dns", "load-balancer", "web"}:
            tasks.append("DNS and load balancer / TLS")
        if "vpn" in comps:
            tasks.append("VPN connectivity")
        wanted["network-engineer"] = (
            "the change moves traffic, placement or connectivity", tasks, _shown(network)
        )  # fmt: skip
    data = intent.of("data_stores", "schemas", asked=True)
    if comps & STATEFUL or data:
        tasks = ["engine, sizing and HA", "backups meeting the RPO"]
        if request.type is not ChangeType.NEW:
            tasks.append("migration and rollback plan")
        facts = _shown(data) or sorted(comps & STATEFUL)
        wanted["database-administrator"] = ("the change stores or changes data", tasks, facts)
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


def _architecture(
    request: ChangeRequest, intent: Intent, comps: set[DesignComponent]
) -> CheckpointNeed | None:
    topology = intent.of("topology", "platform")
    if topology:
        return _need(
            "architecture-change", f"changes the architecture: {topology[0].detail}", topology
        )
    prod = request.environment is Environment.PROD
    if prod and request.type is ChangeType.NEW and comps & STATEFUL:
        stores = ", ".join(sorted(comps & STATEFUL))
        fact = Fact(kind="topology", detail=f"new {stores} in production", evidence="components")
        return _need("architecture-change", "adds a stateful component in production", [fact])
    return None


def _schema(
    request: ChangeRequest, intent: Intent, comps: set[DesignComponent]
) -> CheckpointNeed | None:
    schemas = intent.of("schemas")
    if not schemas or not (comps & {"database", "cache"} or intent.has("data_stores")):
        return None
    customers = intent.of("customers")
    if request.environment is not Environment.PROD and not customers:
        return None
    where = "production data" if request.environment is Environment.PROD else "customer data"
    words = ", ".join(f.detail for f in schemas[:MAX_FACTS])
    return _need(
        "customer-schema-change", f"schema change ({words}) on {where}", schemas + customers
    )


def checkpoints_for(
    request: ChangeRequest, intent: Intent, components: list[DesignComponent], registry: Registry
) -> list[CheckpointNeed]:
    comps = set(components)
    needs = [n for n in (_architecture(request, intent, comps),) if n]
    third = intent.of("third_parties")
    if third:
        names = ", ".join(dict.fromkeys(f.detail for f in third[:MAX_FACTS]))
        needs.append(_need("external-integration", f"integrates {names}", third))
    schema = _schema(request, intent, comps)
    if schema:
        needs.append(schema)
    other = intent.of("other_divisions")
    if other:
        owners = [
            r.owner for r in registry.out_of_scope if any(f.detail in r.triggers for f in other)
        ]
        who = ", ".join(sorted(set(owners))) or "another division"
        needs.append(_need("cross-division", f"also involves {who}", other))
    if request.environment is Environment.PROD:
        fact = Fact(kind="placement", detail="production", evidence="environment: prod")
        needs.append(_need("production-change", "changes production", [fact]))
    return needs
