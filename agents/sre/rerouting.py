"""Who holds an incident as evidence arrives: first routing, re-routing, hand-off.

A fault in application code is handed to the service's owning team; the Site Reliability
Engineer stays incident commander and keeps the incident on the team's side. Every change of
owner or severity goes into the timeline with the evidence behind it. A person can set the
owner; after that, evidence is still triaged and recorded but no longer moves the owner.
"""

from __future__ import annotations

from datetime import datetime

from opsteam.agents.sre.comms import render_incident_update
from opsteam.agents.sre.triage import assess
from opsteam.domain.incidents import COMPONENT_SPECIALISTS, EventKind, Incident
from opsteam.domain.registry import Registry, RoleSlug
from opsteam.domain.severity import INCIDENT_MEANING
from opsteam.domain.triage import OWNING_TEAM, Assessment, OwnerKey

COMMANDER: RoleSlug = "site-reliability-engineer"
COMPONENT_LEVEL = "component-owner"
SHOWN_EVIDENCE = 3


def owner_key(incident: Incident) -> OwnerKey | None:
    """The owner as triage names it: a role, or the owning team when handed off."""
    return OWNING_TEAM if incident.handoff else incident.owner


def owning_team(incident: Incident, registry: Registry) -> str:
    return f"the {incident.report.service} team, {registry.handoff_owner()}"


def owner_name(key: OwnerKey | None, incident: Incident, registry: Registry) -> str:
    if key is None:
        return "nobody"
    if key == OWNING_TEAM:
        return owning_team(incident, registry)
    return f"the {registry.role(key).name}"


def symptom_line(found: Assessment) -> str:
    """``symptoms: errors (checkout); data store (valkey-cart, knock-on)``."""
    parts = [
        f"{s.symptom.value} ({s.subject}{', knock-on' if s.knock_on else ''})"
        for s in found.symptoms
    ]
    return "symptoms: " + ("; ".join(parts) if parts else "none named")


def evidence_line(found: Assessment) -> str:
    shown = found.evidence[:SHOWN_EVIDENCE]
    return "Evidence: " + "; ".join(shown) if shown else "No evidence names an owner."


def knock_on_line(found: Assessment) -> str:
    knock = found.knock_on
    if not knock:
        return ""
    items = "; ".join(f"{s.symptom.value} at {s.subject} ({s.source})" for s in knock)
    return f" Knock-on symptoms, not causes: {items}."


def apply_owner(
    incident: Incident,
    registry: Registry,
    *,
    at: datetime,
    first: bool,
    chosen: OwnerKey | None = None,
    by: str | None = None,
) -> Incident:
    """Set holder, hand-off and specialist from triage (or a person's choice); log it."""
    found = incident.assessment
    if found is None:  # pragma: no cover - incidents are always triaged when opened
        raise RuntimeError("routing before triage")
    key = chosen or found.owner
    before = owner_key(incident)
    holder: RoleSlug = COMMANDER if key == OWNING_TEAM else key
    reason = f"set by {by}" if chosen else found.owner_reason
    updated = incident.model_copy(
        update={
            "owner": holder,
            "owner_reason": reason,
            "handoff": owning_team(incident, registry) if key == OWNING_TEAM else None,
            "specialist": holder if holder in COMPONENT_SPECIALISTS else found.specialist,
            "owner_set_by": by if chosen else incident.owner_set_by,
        }
    )
    kind, message = _routing_message(updated, registry, before=before, first=first, by=by)
    return updated.with_event(at, kind, message)


def _routing_message(
    incident: Incident, registry: Registry, *, before: OwnerKey | None, first: bool, by: str | None
) -> tuple[EventKind, str]:
    found = incident.assessment
    if found is None:  # pragma: no cover - apply_owner checked it
        raise RuntimeError("routing before triage")
    key = owner_key(incident)
    name = owner_name(key, incident, registry)
    if by:
        why = f"owner set by {by}"
    elif found.evidence:
        why = f"{found.owner_reason}. {evidence_line(found)}"
    else:
        why = found.owner_reason
    why = why.rstrip(".") + "."
    before_name = owner_name(before, incident, registry)
    kind: EventKind
    if key == OWNING_TEAM:
        specialist = registry.role(incident.specialist or COMMANDER).name
        moved = "" if first else f" (from {before_name})"
        message = (
            f"Handed to {name}{moved}: {why} The {registry.role(COMMANDER).name} remains "
            f"incident commander; the component-owner level brings in the {specialist}."
        )
        kind = "handed-off"
    elif first:
        message, kind = f"Routed to {name}: {why}", "routed"
    else:
        message, kind = f"Re-routed from {before_name} to {name}: {why}", "rerouted"
    if incident.level == COMPONENT_LEVEL and incident.component_owner:
        message += f" Now held by the {registry.role(incident.component_owner).name}."
    return kind, message + knock_on_line(found)


def _severity_change(
    incident: Incident, found: Assessment, registry: Registry, at: datetime
) -> Incident:
    """A new severity from new evidence (never over the reporter's own call)."""
    if incident.report.severity is not None or found.severity is incident.severity:
        return incident
    old = incident.severity
    auto_impact = f"{INCIDENT_MEANING[old]} for {incident.report.service}"
    update: dict[str, object] = {
        "severity": found.severity,
        "severity_reason": found.severity_reason,
    }
    if incident.impact.startswith(auto_impact):
        update["impact"] = incident.impact.replace(
            INCIDENT_MEANING[old], INCIDENT_MEANING[found.severity], 1
        )
    incident = incident.model_copy(update=update)
    message = f"Severity {old.value} -> {found.severity.value}: {found.severity_reason}"
    return incident.with_event(at, "severity", message, render_incident_update(incident, registry))


def retriage(
    incident: Incident,
    registry: Registry,
    *,
    at: datetime,
    by: str,
    owner: OwnerKey | None = None,
) -> Incident:
    """Triage all evidence again; move owner and severity where it now points."""
    found = assess(incident.report, registry, incident.alerts, incident.notes)
    incident = incident.model_copy(update={"assessment": found})
    incident = _severity_change(incident, found, registry, at)
    current = owner_key(incident)
    if owner is not None and owner != current:
        return apply_owner(incident, registry, at=at, first=False, chosen=owner, by=by)
    if incident.owner_set_by and found.owner != current:
        message = (
            f"Triage now points to {owner_name(found.owner, incident, registry)}; the owner "
            f"stays {owner_name(current, incident, registry)}, as set by {incident.owner_set_by}. "
            f"{evidence_line(found)}"
        )
        return incident.with_event(at, "update", message)
    if found.owner != current and not incident.owner_set_by:
        return apply_owner(incident, registry, at=at, first=False)
    if not incident.owner_set_by and current in (COMMANDER, OWNING_TEAM):
        return incident.model_copy(update={"specialist": found.specialist})
    return incident
