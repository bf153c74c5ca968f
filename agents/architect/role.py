"""Infrastructure Architect: reviews the request, designs, assigns only the needed specialists.

``decide`` is pure: the same request (and feedback) always gives the same design.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, timedelta

from opsteam.agents.architect.revision import Revision, revise_request
from opsteam.agents.base import RoleContext, mentions
from opsteam.domain.decisions import (
    ArchitectDesign,
    Assignment,
    DesignComponent,
    RiskAssessment,
)
from opsteam.domain.decisions.plan import InfrastructurePlan
from opsteam.domain.models import (
    Artifact,
    ChangeRequest,
    ChangeType,
    CheckpointNeed,
    Cloud,
    Component,
    Engine,
    Environment,
)
from opsteam.domain.registry import Registry
from opsteam.domain.vocabulary import COMPONENT_WORDS

ROLE = "infrastructure-architect"

_FROM_FORM: dict[Component, tuple[DesignComponent, ...]] = {
    Component.SERVER: ("server",),
    Component.NETWORK: ("firewall",),
    Component.DATABASE: ("database",),
    Component.CACHE: ("cache",),
    Component.STORAGE: ("object-storage",),
    Component.KUBERNETES: ("web", "kubernetes"),
    Component.DNS: ("dns",),
    Component.LOAD_BALANCER: ("load-balancer",),
    Component.FIREWALL: ("firewall",),
    Component.VPN: ("vpn",),
    Component.MONITORING: ("monitoring",),
    Component.OTHER: (),
}
_ORDER: tuple[DesignComponent, ...] = tuple(COMPONENT_WORDS)
_NEEDS_NETWORK = {
    "database",
    "cache",
    "server",
    "web",
    "kubernetes",
    "load-balancer",
    "dns",
    "vpn",
    "firewall",
}
_NEEDS_DBA = {"database", "cache", "object-storage"}
_STATEFUL = {"database", "cache", "object-storage"}
_REGIONS = {Cloud.AWS: "us-east-1", Cloud.GCP: "us-central1", Cloud.AZURE: "eastus"}
_ZONES = {Environment.PROD: 3, Environment.STAGING: 2, Environment.DEV: 2}
_SPECIALISTS = ("systems-administrator", "network-engineer", "database-administrator")
_CUSTOMER_WORDS = ("customer", "customers", "user-facing", "users", "public api", "tenant")


# "in the shared dev VPC", "on our existing network": an existing or shared VPC/network.
_EXISTING_NETWORK = re.compile(
    r"\b(?:existing|shared)\b(?:[\s-]+[a-z0-9-]+){0,3}?[\s-]+(?:vpc|network)s?\b"
)


def uses_existing_network(request: ChangeRequest) -> bool:
    """Whether the change lands in a network that exists: the request's hint when it gives
    one, else its words ("in the shared dev VPC", "our existing network")."""
    if request.existing_network is not None:
        return request.existing_network
    return _EXISTING_NETWORK.search(request.text) is not None


def _text(request: ChangeRequest, feedback: tuple[str, ...]) -> str:
    return " ".join([request.text, *feedback]).lower()


def _ask(request: ChangeRequest, feedback: tuple[str, ...]) -> str:
    """What is asked for (title, description, feedback), without the why and the impact."""
    return " ".join([request.request, request.description, *feedback]).lower()


def components_for(request: ChangeRequest, text: str) -> list[DesignComponent]:
    """The form's component first; the words add companions (a web service's DNS, ...).

    A data store named only as context ("a cache in front of the orders Postgres") is not
    new work, so stateful companions are added only to requests about stateless things.
    """
    found: set[DesignComponent] = set(_FROM_FORM[request.component])
    stateful_form = bool(found & _STATEFUL)
    for component, words in COMPONENT_WORDS.items():
        if stateful_form and component in _STATEFUL:
            continue
        if mentions(text, words):
            found.add(component)
    if request.engine is Engine.REDIS:
        found.add("cache")
    elif request.engine is not None:
        found.add("database")
    if "web" in found:
        found.add("kubernetes")
    return [c for c in _ORDER if c in found]


def choose_engine(
    request: ChangeRequest, components: list[DesignComponent], text: str
) -> Engine | None:
    if request.engine is not None:
        return request.engine
    if "database" in components:
        return Engine.MYSQL if mentions(text, ("mysql", "mariadb")) else Engine.POSTGRES
    if "cache" in components:
        return Engine.REDIS
    return None


def _in_place_data_change(request: ChangeRequest, comps: set[DesignComponent]) -> bool:
    """A change inside an existing data store (schema, parameters) that moves no traffic."""
    return (
        request.type is ChangeType.MODIFY
        and bool(comps)
        and comps <= _STATEFUL
        and not request.ports
        and not request.existing_cidrs
    )


def assignments_for(
    request: ChangeRequest, components: list[DesignComponent], registry: Registry
) -> list[Assignment]:
    wanted: dict[str, tuple[str, list[str]]] = {}
    comps = set(components)
    if "server" in comps:
        wanted["systems-administrator"] = (
            "the design includes hosts",
            ["decommission hosts safely"]
            if request.type is ChangeType.REMOVE
            else ["provision hosts", "apply the hardening baseline", "set the patch window"],
        )
    if comps & _NEEDS_NETWORK and not _in_place_data_change(request, comps):
        tasks = ["plan VPC and subnets", "least-privilege firewall rules"]
        if comps & {"dns", "load-balancer", "web"}:
            tasks.append("DNS and load balancer / TLS")
        if "vpn" in comps:
            tasks.append("VPN connectivity")
        wanted["network-engineer"] = ("the change needs network placement or rules", tasks)
    if comps & _NEEDS_DBA:
        tasks = ["engine, sizing and HA", "backups meeting the RPO"]
        if request.type is not ChangeType.NEW:
            tasks.append("migration and rollback plan")
        wanted["database-administrator"] = ("the change stores data", tasks)
    return [
        Assignment(role_id=registry.role(slug).id, reason=wanted[slug][0], tasks=wanted[slug][1])
        for slug in _SPECIALISTS
        if slug in wanted
    ]


def checkpoints_for(
    request: ChangeRequest, components: list[DesignComponent], text: str, registry: Registry
) -> list[CheckpointNeed]:
    needs: list[CheckpointNeed] = []
    prod = request.environment is Environment.PROD
    arch = mentions(text, registry.checkpoint("architecture-change").triggers)
    if arch or (prod and request.type is ChangeType.NEW and set(components) & _STATEFUL):
        why = f"mentions {', '.join(arch)}" if arch else "adds a stateful component in production"
        needs.append(CheckpointNeed(kind="architecture-change", reason=why))
    ext = mentions(text, registry.checkpoint("external-integration").triggers)
    if request.integrations or ext:
        names = ", ".join(request.integrations) or ", ".join(ext)
        needs.append(CheckpointNeed(kind="external-integration", reason=f"integrates {names}"))
    schema = mentions(text, registry.checkpoint("customer-schema-change").triggers)
    customer = prod or bool(mentions(text, _CUSTOMER_WORDS))
    if schema and customer and "database" in components:
        needs.append(
            CheckpointNeed(
                kind="customer-schema-change",
                reason=f"schema change ({', '.join(schema)}) on a customer-facing database",
            )
        )
    other = [r for r in registry.out_of_scope if mentions(text, r.triggers)]
    if other:
        owners = ", ".join(sorted({r.owner for r in other}))
        needs.append(CheckpointNeed(kind="cross-division", reason=f"also involves {owners}"))
    if prod:
        needs.append(CheckpointNeed(kind="production-change", reason="changes production"))
    return needs


def assess_risk(
    request: ChangeRequest, components: list[DesignComponent], needs: list[CheckpointNeed]
) -> RiskAssessment:
    factors: list[tuple[str, int]] = []
    env_weight = {Environment.PROD: 40, Environment.STAGING: 15, Environment.DEV: 0}
    factors.append((f"environment {request.environment.value}", env_weight[request.environment]))
    type_weight = {ChangeType.NEW: 5, ChangeType.MODIFY: 10, ChangeType.REMOVE: 20}
    factors.append((f"{request.type.value.lower()} change", type_weight[request.type]))
    stateful = sorted(set(components) & _STATEFUL)
    if stateful:
        factors.append((f"stateful: {', '.join(stateful)}", 15))
    for need in needs:
        if need.kind in ("customer-schema-change", "external-integration", "cross-division"):
            factors.append((need.kind.replace("-", " "), 10))
    if request.size.value in ("large", "xlarge"):
        factors.append((f"size {request.size.value}", 5))
    score = min(100, sum(w for _, w in factors))
    level = "low" if score < 30 else "medium" if score < 60 else "high"
    return RiskAssessment(level=level, score=score, factors=[f for f, w in factors if w])


def rollback_plan(request: ChangeRequest, components: list[DesignComponent]) -> list[str]:
    stateful = bool(set(components) & _STATEFUL)
    if request.type is ChangeType.NEW:
        steps = [
            "Shift traffic back (nothing depends on the new resources yet)",
            "Destroy only the new resources with the generated Terraform (plan reviewed)",
        ]
    elif request.type is ChangeType.MODIFY:
        steps = [
            "Re-apply the previous Terraform revision from version control",
            "Verify health checks and alerts return to green",
        ]
    else:
        steps = [
            "Keep the removed resources' final snapshot and configuration",
            "Re-create from the last Terraform revision and restore the snapshot",
        ]
    if stateful and request.type is not ChangeType.NEW:
        steps.insert(0, "Take a verified snapshot/backup before the change starts")
    return steps


def maintenance_window(request: ChangeRequest) -> str:
    window = request.maintenance_window
    if window is not None:
        start = window.start.astimezone(UTC)
        end = start + timedelta(minutes=window.duration_minutes)
        return f"{start:%Y-%m-%d %H:%M} - {end:%Y-%m-%d %H:%M} UTC"
    if request.environment is Environment.PROD:
        return "not scheduled"
    return f"not required ({request.environment.value})"


def decide(
    request: ChangeRequest, registry: Registry, revision: Revision | None = None
) -> ArchitectDesign:
    """The design for ``request`` (already revised), with the revision's component changes."""
    revision = revision or Revision()
    feedback = tuple(revision.feedback)
    text = _text(request, feedback)
    components = _revised(components_for(request, _ask(request, ())), revision)
    engine = choose_engine(request, components, text)
    cloud = request.cloud or Cloud.AWS
    region = request.region or _REGIONS[cloud]
    zones = [f"{region}{letter}" for letter in "abc"[: _ZONES[request.environment]]]
    needs = checkpoints_for(request, components, text, registry)
    assignments = assignments_for(request, components, registry)
    public = bool({"web", "load-balancer"} & set(components)) and not mentions(
        text, ("internal", "private")
    )
    names = [registry.role(a.role_id).name for a in assignments]
    summary = (
        f"{request.type.value} {', '.join(components) or request.component.value} for "
        f"{request.service_name} in {request.environment.value} on {cloud.value.upper()} "
        f"({region}, {len(zones)} zones); specialists: {', '.join(names) or 'none'}."
    )
    if revision.applied:
        summary += " Revised: " + "; ".join(f"{c.field} {c.value}" for c in revision.applied) + "."
    return ArchitectDesign(
        summary=summary,
        components=components,
        assignments=assignments,
        checkpoints=needs,
        risk=assess_risk(request, components, needs),
        rollback_plan=rollback_plan(request, components),
        maintenance_window=maintenance_window(request),
        cloud=cloud.value,
        region=region,
        zones=zones,
        engine=engine,
        hosts_needed="server" in components,
        public_endpoint=public,
        existing_network=uses_existing_network(request),
        revision=1 + len(feedback),
        feedback_applied=list(feedback),
        changes=list(revision.applied),
        not_applied=list(revision.not_applied),
    )


def _revised(components: list[DesignComponent], revision: Revision) -> list[DesignComponent]:
    found = (set(components) | revision.add_components) - revision.remove_components
    if "web" in found:
        found.add("kubernetes")
    return [c for c in _ORDER if c in found]


def engine_of(request: ChangeRequest) -> Engine | None:
    """The engine this design would use for ``request`` (the architect's own choice)."""
    components = components_for(request, _ask(request, ()))
    return choose_engine(request, components, request.text)


def revise(
    request: ChangeRequest, feedback: Sequence[str], registry: Registry
) -> tuple[ChangeRequest, ArchitectDesign]:
    """Apply people's requested changes to the request, then design for the revised request."""
    primary = request.region or _REGIONS[request.cloud or Cloud.AWS]
    revised, revision = revise_request(request, feedback, engine_of, primary)
    return revised, decide(revised, registry, revision)


def plan_for(request: ChangeRequest, ctx: RoleContext, today: date) -> InfrastructurePlan:
    """The infrastructure plan, assembled after the specialists decided, from their decisions."""
    from opsteam.agents.architect.plan import assemble
    from opsteam.agents.architect.prices import load_prices

    return assemble(request, ctx, load_prices(), today)


def render(plan: InfrastructurePlan, request: ChangeRequest, ctx: RoleContext) -> list[Artifact]:
    """The infrastructure plan and its log entry (templates only)."""
    from opsteam.agents.architect.plan import render_plan

    return render_plan(plan, request, ctx.design)
