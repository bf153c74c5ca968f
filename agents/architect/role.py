"""Infrastructure Architect: reviews the request, designs, assigns only the needed specialists.

``decide`` is pure: the same request (and feedback) always gives the same design.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, timedelta

from opsteam.agents.architect.assign import (
    assignments_for,
    checkpoints_for,
    engaged_roles,
    with_role_checkpoints,
)
from opsteam.agents.architect.revision import Revision, revise_request
from opsteam.agents.base import RoleContext, mentions
from opsteam.domain.decisions import (
    ArchitectDesign,
    DesignComponent,
    DesignDelta,
    RiskAssessment,
)
from opsteam.domain.decisions.plan import InfrastructurePlan
from opsteam.domain.intent import Intent
from opsteam.domain.models import (
    Artifact,
    ChangeRequest,
    ChangeType,
    CheckpointNeed,
    Cloud,
    Engine,
    Environment,
)
from opsteam.domain.registry import Registry
from opsteam.intake.intent import ORDER, STATEFUL, understand

ROLE = "infrastructure-architect"

_REGIONS = {Cloud.AWS: "us-east-1", Cloud.GCP: "us-central1", Cloud.AZURE: "eastus"}
_ZONES = {Environment.PROD: 3, Environment.STAGING: 2, Environment.DEV: 2}
# "in the shared dev VPC", "on our existing network": an existing or shared VPC/network.
_EXISTING_NETWORK = re.compile(
    r"\b(?:existing|shared)\b(?:[\s-]+[a-z0-9-]+){0,3}?[\s-]+(?:vpc|network)s?\b"
)


def uses_existing_network(request: ChangeRequest) -> bool:
    """Whether the change lands in a network that exists: the request's hint when it gives
    one, else its words ("in the shared dev VPC", "our existing network")."""
    if request.existing_network is not None:
        return request.existing_network
    return _EXISTING_NETWORK.search(request.text.lower()) is not None


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


def assess_risk(
    request: ChangeRequest, components: list[DesignComponent], needs: list[CheckpointNeed]
) -> RiskAssessment:
    factors: list[tuple[str, int]] = []
    env_weight = {Environment.PROD: 40, Environment.STAGING: 15, Environment.DEV: 0}
    factors.append((f"environment {request.environment.value}", env_weight[request.environment]))
    type_weight = {ChangeType.NEW: 5, ChangeType.MODIFY: 10, ChangeType.REMOVE: 20}
    factors.append((f"{request.type.value.lower()} change", type_weight[request.type]))
    stateful = sorted(set(components) & STATEFUL)
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


# The generic way back for a modify; the plan puts the DBA's database rollback in its place.
REAPPLY_PREVIOUS = "Re-apply the previous Terraform revision from version control"


def rollback_plan(request: ChangeRequest, components: list[DesignComponent]) -> list[str]:
    stateful = bool(set(components) & STATEFUL)
    if request.type is ChangeType.NEW:
        steps = [
            "Shift traffic back (nothing depends on the new resources yet)",
            "Destroy only the new resources with the generated Terraform (plan reviewed)",
        ]
    elif request.type is ChangeType.MODIFY:
        steps = [
            REAPPLY_PREVIOUS,
            "Verify health checks and alerts return to green",
        ]
    else:
        steps = [
            "Keep the removed resources' final snapshot and configuration",
            "Re-create from the last Terraform revision and restore the snapshot",
        ]
    if stateful and request.type is not ChangeType.NEW:
        steps.insert(0, "Take a verified snapshot/backup before the change starts")
    if "dns" in components and request.type is ChangeType.MODIFY:
        # The change takes existing names over in place: their old values are the way back.
        steps.insert(
            0,
            "Export the zone's current records (aws route53 list-resource-record-sets) before "
            "the change; rolling back restores them",
        )
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
    intent = understand(request, registry)
    if feedback:  # a person's requested changes can raise checkpoints too (recall first)
        intent = _with_feedback(intent, request, feedback, registry)
    text = " ".join([request.text, *feedback]).lower()
    components = _revised(intent.components, revision)
    engine = choose_engine(request, components, text)
    cloud = request.cloud or Cloud.AWS
    region = request.region or _REGIONS[cloud]
    zones = [f"{region}{letter}" for letter in "abc"[: _ZONES[request.environment]]]
    engaged = engaged_roles(text, registry)
    needs = with_role_checkpoints(
        checkpoints_for(request, intent, components, registry), engaged, registry
    )
    assignments = assignments_for(request, intent, components, registry)
    public = bool({"web", "load-balancer"} & set(components)) and not mentions(
        text, ("internal", "private")
    )
    slugs = [*(a.role for a in assignments), *(e.role for e in engaged)]
    names = [registry.role(s).name for s in slugs]
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
        engaged=engaged,
    )


def _revised(components: list[DesignComponent], revision: Revision) -> list[DesignComponent]:
    found = (set(components) | revision.add_components) - revision.remove_components
    if "web" in found:
        found.add("kubernetes")
    return [c for c in ORDER if c in found]


def _with_feedback(
    intent: Intent, request: ChangeRequest, feedback: tuple[str, ...], registry: Registry
) -> Intent:
    """The facts the person's feedback adds (its words count like the request's own)."""
    said = request.model_copy(update={"description": " ".join(feedback)})
    extra = [f for f in understand(said, registry).facts if f not in intent.facts]
    return intent.model_copy(update={"facts": [*intent.facts, *extra]})


def engine_of(request: ChangeRequest, registry: Registry) -> Engine | None:
    """The engine this design would use for ``request`` (the architect's own choice)."""
    components = understand(request, registry).components
    return choose_engine(request, components, request.text)


def revise(
    request: ChangeRequest,
    feedback: Sequence[str],
    registry: Registry,
    read: Mapping[str, DesignDelta] | None = None,
) -> tuple[ChangeRequest, ArchitectDesign]:
    """Apply people's requested changes to the request, then design for the revised request.

    ``read``: feedback already read (by the rules cross-checked with a model), by text."""
    primary = request.region or _REGIONS[request.cloud or Cloud.AWS]
    revised, revision = revise_request(
        request, feedback, lambda r: engine_of(r, registry), primary, registry.routing, read
    )
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
