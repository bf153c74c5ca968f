"""The Site Reliability Engineer as incident commander: open, route, update and resolve.

Pure decisions: same incident, same command, same result. No clock, no I/O; the graph and
the CLI bring time and storage. Triage itself (owner and severity from the evidence) is in
:mod:`opsteam.agents.sre.triage`; re-routing as evidence arrives in
:mod:`opsteam.agents.sre.rerouting`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from opsteam.agents.base import mentions
from opsteam.agents.sre import rerouting
from opsteam.agents.sre.comms import render_incident_update
from opsteam.agents.sre.triage import assess
from opsteam.domain.alerts import parse_alerts
from opsteam.domain.errors import ConflictError, InputError
from opsteam.domain.incidents import (
    AlertPayload,
    ComponentText,
    EventKind,
    HumanDecision,
    Incident,
    IncidentReport,
    IncidentStatus,
    UtcTime,
    check_eta,
    check_time,
    check_transition,
    incident_id,
)
from opsteam.domain.models import ShortText, Text
from opsteam.domain.registry import Registry, RoleSlug, is_core
from opsteam.domain.severity import INCIDENT_MEANING, Severity
from opsteam.domain.triage import OWNING_TEAM, EvidenceNote, OwnerKey

ROLE: RoleSlug = "site-reliability-engineer"
BUSINESS = (
    "business decision",
    "data breach",
    "security breach",
    "legal",
    "regulator",
    "regulatory",
    "customer notification",
    "press",
)
_OWNING_TEAM_NAMES = ("owning-team", "owning team", "application team", "service team")


def impact_text(severity: Severity, report: IncidentReport) -> str:
    return f"{INCIDENT_MEANING[severity]} for {report.service} ({report.environment})"


def open_incident(report: IncidentReport, registry: Registry) -> Incident:
    """Triage a report and its alerts into a new incident; send the first update."""
    alerts = parse_alerts(report.alert)
    found = assess(report, registry, alerts)
    # The component is the reporter's suspicion in free words: said as such, never parsed in.
    suspected = f" (suspected: {report.component})" if report.component else ""
    subject = f"{report.service}{suspected}"
    incident = Incident(
        id=incident_id(report),
        report=report,
        severity=found.severity,
        severity_reason=found.severity_reason,
        impact=impact_text(found.severity, report),
        current_action=f"{registry.role(ROLE).name} is investigating {subject}",
        alerts=alerts,
        assessment=found,
    )
    at = report.detected_at
    incident = incident.with_event(at, "opened", f"Incident opened: {report.title}")
    message = f"Triaged as {found.severity_reason}; {rerouting.symptom_line(found)}"
    return incident.with_event(at, "triaged", message, render_incident_update(incident, registry))


def human_reason(incident: Incident) -> str | None:
    """Why a person must decide now (a major incident, a business decision), if at all."""
    text = " ".join([incident.report.text, *(n.text.lower() for n in incident.notes)])
    if incident.is_major:
        return "major incident: P1 in production"
    business = mentions(text, BUSINESS)
    return f"business decision needed ({', '.join(business)})" if business else None


def request_human(incident: Incident, at: datetime) -> Incident:
    """Ask for a decision once per reason; the graph then pauses in its human step."""
    reason = human_reason(incident)
    asked = f"Human decision requested: {reason}"
    if (
        reason is None
        or incident.awaiting_human
        or any(e.message == asked for e in incident.timeline)
    ):
        return incident
    incident = incident.model_copy(update={"awaiting_human": reason})
    return incident.with_event(at, "human-requested", asked)


def route(incident: Incident, registry: Registry, at: datetime) -> Incident:
    """Give the incident to the owner triage found (or hand it off); ask a person if needed."""
    incident = rerouting.apply_owner(incident, registry, at=at, first=True)
    return request_human(incident, at)


def parse_owner(value: str, registry: Registry) -> OwnerKey:
    """A role's public slug or name, or the service's owning team (a hand-off)."""
    key = value.strip().lower()
    if key in _OWNING_TEAM_NAMES:
        return OWNING_TEAM
    for role in registry.roles:
        if is_core(role.slug) and key in (role.slug, role.name.lower()):
            return role.slug
    known = ", ".join([*(r.slug for r in registry.roles if r.core), OWNING_TEAM])
    raise InputError(f"owner: unknown owner {value.strip()!r} (expected one of {known})")


class IncidentUpdate(BaseModel):
    """A command from the commander or a human: any subset of the fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    at: UtcTime
    status: IncidentStatus | None = None
    impact: Text | None = None
    current_action: Text | None = None
    eta: UtcTime | None = None
    note: Text | None = None
    decision: Text | None = None
    # Evidence and routing: each re-runs triage, and the change goes into the timeline.
    diagnosis: Text | None = None
    alert: AlertPayload = None
    component: ComponentText = None
    owner: OwnerKey | None = None
    by: ShortText = "incident commander"

    @property
    def evidence(self) -> bool:
        return any(v is not None for v in (self.note, self.diagnosis, self.alert, self.component))


class Resolution(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    at: UtcTime
    root_cause: Text
    follow_ups: list[ShortText] = Field(default_factory=list, max_length=50)
    by: ShortText = "incident commander"
    # Answers a pending human decision at resolution time, recorded as that person's decision.
    decision: Text | None = None


def check_update(incident: Incident, update: IncidentUpdate) -> None:
    """Refuse an update that does not fit, before anything is written."""
    if incident.status is IncidentStatus.RESOLVED:
        raise ConflictError(f"{incident.id}: incident is already resolved")
    check_time(incident, update.at, what="at")
    if update.status is IncidentStatus.RESOLVED:
        raise InputError("status: use 'incident resolve' with a root cause to resolve")
    if update.status is not None:
        check_transition(incident.status, update.status)
    if update.eta is not None:
        check_eta(update.eta, update.at)
    if update.alert is not None and not parse_alerts(update.alert):
        raise InputError("alert: the payload holds no alert")
    if update.decision is not None or update.evidence or changed_fields(incident, update):
        return
    if update.owner is not None and update.owner != rerouting.owner_key(incident):
        return
    given = {k: v for k, v in _fields(update).items() if v is not None}
    if update.owner is not None:
        given["owner"] = update.owner
    if not given:
        raise InputError(
            "nothing to update: give a status, impact, action, eta, note, diagnosis, alert, "
            "component, owner or decision"
        )
    same = ", ".join(f"{k.replace('_', ' ')} is already {_show(v)}" for k, v in given.items())
    raise InputError(f"nothing to update: {same}")


def _fields(update: IncidentUpdate) -> dict[str, Any]:
    return {
        "status": update.status,
        "impact": update.impact,
        "current_action": update.current_action,
        "eta": update.eta,
    }


def changed_fields(incident: Incident, update: IncidentUpdate) -> dict[str, Any]:
    """The form fields this update really changes (a repeated value is no change)."""
    return {k: v for k, v in _fields(update).items() if v is not None and v != getattr(incident, k)}


def _record_decision(incident: Incident, by: str, at: datetime, text: str, note: str) -> Incident:
    decision = HumanDecision(by=by, at=at, decision=text)
    incident = incident.model_copy(
        update={"decisions": (*incident.decisions, decision), "awaiting_human": None}
    )
    return incident.with_event(at, "human-decision", f"Human decision by {by}{note}: {text}")


def _record_evidence(incident: Incident, update: IncidentUpdate) -> Incident:
    at, by = update.at, update.by
    notes = list(incident.notes)
    if update.note is not None:
        notes.append(EvidenceNote(kind="note", text=update.note, by=by, at=at))
        incident = incident.with_event(at, "update", f"Note by {by}: {update.note}")
    if update.diagnosis is not None:
        notes.append(EvidenceNote(kind="diagnosis", text=update.diagnosis, by=by, at=at))
        incident = incident.with_event(at, "evidence", f"Diagnosis by {by}: {update.diagnosis}")
    if update.alert is not None:
        added = parse_alerts(update.alert)
        names = ", ".join(a.name for a in added)
        incident = incident.model_copy(update={"alerts": (*incident.alerts, *added)})
        incident = incident.with_event(at, "evidence", f"Alert evidence added by {by}: {names}")
    if update.component is not None and update.component != incident.report.component:
        report = incident.report.model_copy(update={"component": update.component})
        incident = incident.model_copy(update={"report": report})
        message = f"Component set by {by}: {update.component}"
        incident = incident.with_event(at, "evidence", message)
    return incident.model_copy(update={"notes": tuple(notes)})


def apply_update(incident: Incident, update: IncidentUpdate, registry: Registry) -> Incident:
    check_update(incident, update)
    at = update.at
    if update.decision is not None:
        incident = _record_decision(incident, update.by, at, update.decision, "")
    changed = changed_fields(incident, update)
    incident = _record_evidence(incident, update)
    if update.evidence or update.owner is not None:
        incident = rerouting.retriage(incident, registry, at=at, by=update.by, owner=update.owner)
    if changed:
        incident = incident.model_copy(update=changed)
        kind: EventKind = "status" if "status" in changed else "update"
        message = "; ".join(f"{k.replace('_', ' ')}: {_show(v)}" for k, v in changed.items())
        incident = incident.with_event(
            at,
            kind,
            f"Updated by {update.by}: {message}",
            render_incident_update(incident, registry),
        )
    return request_human(incident, at)


def _show(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def check_resolution(incident: Incident, resolution: Resolution) -> None:
    """Resolved stays resolved; a pending human decision is answered first (or here, on record)."""
    if incident.status is IncidentStatus.RESOLVED:
        raise ConflictError(f"{incident.id}: incident is already resolved")
    check_time(incident, resolution.at, what="at")
    if incident.awaiting_human and resolution.decision is None:
        raise ConflictError(
            f"{incident.id}: a human decision is pending ({incident.awaiting_human}); record it "
            f"with 'opsteam incident update {incident.id} --decision TEXT --by NAME', or resolve "
            "with --decision TEXT --by NAME to record the decision with the resolution"
        )


def resolve(incident: Incident, resolution: Resolution, registry: Registry) -> Incident:
    check_resolution(incident, resolution)
    at = resolution.at
    if resolution.decision is not None:
        pending = incident.awaiting_human
        note = f" at resolution (pending: {pending})" if pending else " at resolution"
        incident = _record_decision(incident, resolution.by, at, resolution.decision, note)
    incident = incident.model_copy(
        update={
            "status": IncidentStatus.RESOLVED,
            "resolved_at": at,
            "root_cause": resolution.root_cause,
            "follow_ups": tuple(resolution.follow_ups),
            "current_action": "Service restored; postmortem in progress",
            "awaiting_human": None,
        }
    )
    return incident.with_event(
        at,
        "resolved",
        f"Resolved by {resolution.by}: {resolution.root_cause}",
        render_incident_update(incident, registry),
    )
