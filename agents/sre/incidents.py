"""The Site Reliability Engineer as incident commander: triage, routing and updates.

Pure decisions: same report and same ``now``, same result. No clock, no I/O; the graph and
the CLI bring time and storage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from opsteam.agents.base import mentions
from opsteam.agents.sre.comms import render_incident_update
from opsteam.domain.errors import ConflictError, InputError
from opsteam.domain.incidents import (
    EventKind,
    HumanDecision,
    Incident,
    IncidentReport,
    IncidentStatus,
    Severity,
    UtcTime,
    check_eta,
    check_time,
    check_transition,
    incident_id,
)
from opsteam.domain.models import Component, Environment, ShortText, Text
from opsteam.domain.registry import Registry, RoleSlug

ROLE: RoleSlug = "site-reliability-engineer"

_KEYWORDS: tuple[tuple[Severity, tuple[str, ...]], ...] = (
    (
        Severity.P1,
        (
            "outage",
            "down",
            "unavailable",
            "unreachable",
            "data loss",
            "corruption",
            "not responding",
            "high error rate",
            "connection refused",
            "cannot connect",
            "all requests failing",
            "partial outage",
        ),
    ),
    (
        Severity.P2,
        (
            "degraded",
            "slow",
            "latency",
            "elevated errors",
            "errors",
            "timeouts",
            "timeout",
            "replication lag",
            "disk full",
            "memory leak",
        ),
    ),
    (Severity.P3, ("minor", "warning", "intermittent", "flaky", "low priority")),
    (Severity.P4, ("cosmetic", "informational", "question", "typo")),
)
_ALERT_SEVERITY: dict[str, Severity] = {
    "p0": Severity.P1,
    "p1": Severity.P1,
    "critical": Severity.P1,
    "page": Severity.P1,
    "emergency": Severity.P1,
    "p2": Severity.P2,
    "high": Severity.P2,
    "major": Severity.P2,
    "error": Severity.P2,
    "p3": Severity.P3,
    "warning": Severity.P3,
    "medium": Severity.P3,
    "minor": Severity.P3,
    "p4": Severity.P4,
    "info": Severity.P4,
    "low": Severity.P4,
}
_ENV_FLOOR = {Environment.STAGING: Severity.P3, Environment.DEV: Severity.P4}
_MEANING = {
    Severity.P1: "outage or high error rate",
    Severity.P2: "degraded performance or elevated errors",
    Severity.P3: "minor issue, no user-facing outage",
    Severity.P4: "no user impact expected",
}
_OWNERS: dict[Component, RoleSlug] = {
    Component.SERVER: "systems-administrator",
    Component.KUBERNETES: "systems-administrator",
    Component.NETWORK: "network-engineer",
    Component.DNS: "network-engineer",
    Component.FIREWALL: "network-engineer",
    Component.LOAD_BALANCER: "network-engineer",
    Component.VPN: "network-engineer",
    Component.DATABASE: "database-administrator",
    Component.CACHE: "database-administrator",
    Component.STORAGE: "database-administrator",
    Component.MONITORING: "site-reliability-engineer",
}
_SPECIALISTS: tuple[RoleSlug, ...] = (
    "systems-administrator",
    "network-engineer",
    "database-administrator",
)
ARCHITECTURE = (
    "architecture decision",
    "architectural",
    "re-architect",
    "redesign",
    "capacity planning",
    "multi-region",
    "cross-region",
    "disaster recovery",
)
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


@dataclass(frozen=True)
class Triage:
    severity: Severity
    reason: str
    impact: str
    current_action: str


@dataclass(frozen=True)
class Routing:
    owner: RoleSlug
    reason: str
    human_reason: str | None  # a business decision or a major incident needs a person


def alert_severity(alert: Mapping[str, Any] | None) -> str | None:
    """The severity label of an alert payload (plain, Prometheus or Alertmanager webhook)."""
    if not alert:
        return None
    candidates: list[Any] = [alert.get("severity")]
    labels = alert.get("labels")
    if isinstance(labels, Mapping):
        candidates.append(labels.get("severity"))
    alerts = alert.get("alerts")
    if isinstance(alerts, list) and alerts and isinstance(alerts[0], Mapping):
        inner = alerts[0].get("labels")
        if isinstance(inner, Mapping):
            candidates.append(inner.get("severity"))
    for value in candidates:
        if isinstance(value, str) and value.strip():
            return value.strip().lower()
    return None


def _base_severity(report: IncidentReport) -> tuple[Severity, str]:
    label = alert_severity(report.alert)
    if label is not None and label in _ALERT_SEVERITY:
        return _ALERT_SEVERITY[label], f"alert payload severity {label!r}"
    for severity, words in _KEYWORDS:
        found = mentions(report.text, words)
        if found:
            return severity, f"report mentions {', '.join(repr(w) for w in found)}"
    return Severity.P3, "no outage or degradation signal in the report"


def triage(report: IncidentReport, registry: Registry) -> Triage:
    """Severity P1-P4 with the reason, plus the first impact and action statements."""
    if report.severity is not None:
        severity, reason = report.severity, "severity set by the reporter"
    else:
        severity, reason = _base_severity(report)
        floor = _ENV_FLOOR.get(report.environment)
        if floor is not None and severity < floor:
            reason += f"; lowered to {floor.value} outside production ({report.environment})"
            severity = floor
    reason = f"{severity.value}: {reason}"
    impact = f"{_MEANING[severity]} for {report.service} ({report.environment})"
    commander = registry.role(ROLE).name
    action = f"{commander} is investigating the {report.component} of {report.service}"
    return Triage(severity, reason, impact, action)


def route(report: IncidentReport, severity: Severity, registry: Registry) -> Routing:
    """The component owner, and whether a person must decide (major incident, business)."""
    text = report.text
    architecture = mentions(text, ARCHITECTURE)
    if architecture:
        owner: RoleSlug = "infrastructure-architect"
        reason = f"architecture decision needed ({', '.join(architecture)})"
    elif report.component in _OWNERS:
        owner = _OWNERS[report.component]
        reason = f"{report.component} is owned by the {registry.role(owner).name}"
    else:
        owner, reason = _owner_by_keywords(text, registry)
    human: str | None = None
    business = mentions(text, BUSINESS)
    if severity is Severity.P1 and report.environment is Environment.PROD:
        human = "major incident: P1 in production"
    elif business:
        human = f"business decision needed ({', '.join(business)})"
    return Routing(owner, reason, human)


def _owner_by_keywords(text: str, registry: Registry) -> tuple[RoleSlug, str]:
    best: tuple[int, RoleSlug] | None = None
    for slug in _SPECIALISTS:
        hits = len(mentions(text, registry.role(slug).triggers))
        if hits and (best is None or hits > best[0]):
            best = (hits, slug)
    if best is None:
        return ROLE, "no component owner matches; the commander keeps it"
    return best[1], f"the report matches the {registry.role(best[1]).name}'s area"


def open_incident(report: IncidentReport, registry: Registry) -> Incident:
    """Triage a report into a new incident and send the first update (Investigating)."""
    found = triage(report, registry)
    incident = Incident(
        id=incident_id(report),
        report=report,
        severity=found.severity,
        severity_reason=found.reason,
        impact=found.impact,
        current_action=found.current_action,
    )
    at = report.detected_at
    incident = incident.with_event(at, "opened", f"Incident opened: {report.title}")
    return incident.with_event(
        at, "triaged", f"Triaged as {found.reason}", render_incident_update(incident, registry)
    )


def assign_owner(incident: Incident, routing: Routing, registry: Registry) -> Incident:
    name = registry.role(routing.owner).name
    updated = incident.model_copy(update={"owner": routing.owner, "owner_reason": routing.reason})
    return updated.with_event(updated.last_at, "routed", f"Routed to {name}: {routing.reason}")


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
    by: ShortText = "incident commander"


class Resolution(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    at: UtcTime
    root_cause: Text
    follow_ups: list[ShortText] = Field(default_factory=list, max_length=50)
    by: ShortText = "incident commander"


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
    if update.decision is None and update.note is None and not changed_fields(incident, update):
        given = {k: v for k, v in _fields(update).items() if v is not None}
        if not given:
            raise InputError(
                "nothing to update: give a status, impact, action, eta, note or decision"
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


def apply_update(incident: Incident, update: IncidentUpdate, registry: Registry) -> Incident:
    check_update(incident, update)
    at = update.at
    if update.decision is not None:
        decision = HumanDecision(by=update.by, at=at, decision=update.decision)
        incident = incident.model_copy(
            update={"decisions": (*incident.decisions, decision), "awaiting_human": None}
        )
        incident = incident.with_event(
            at, "human-decision", f"Human decision by {update.by}: {update.decision}"
        )
    changed = changed_fields(incident, update)
    if update.note is not None:
        incident = incident.with_event(at, "update", f"Note by {update.by}: {update.note}")
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
    return incident


def _show(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def check_resolution(incident: Incident, resolution: Resolution) -> None:
    if incident.status is IncidentStatus.RESOLVED:
        raise ConflictError(f"{incident.id}: incident is already resolved")
    check_time(incident, resolution.at, what="at")


def resolve(incident: Incident, resolution: Resolution, registry: Registry) -> Incident:
    check_resolution(incident, resolution)
    at = resolution.at
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
