"""Communications from the team's forms: incident update, maintenance notice, postmortem.

Rendered through packaged templates; user text is flattened to one line first so it can
never forge another field of the form.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from opsteam.domain.errors import InputError
from opsteam.domain.incidents import Incident, IncidentStatus, Severity
from opsteam.domain.models import ChangeRequest
from opsteam.domain.registry import Registry
from opsteam.prompts import render

COMMANDER = "site-reliability-engineer"
MaintenanceType = Literal["Patching", "Upgrade", "Migration"]
_NEXT_UPDATE = {Severity.P1: "15 minutes", Severity.P2: "1 hour"}


def one_line(text: object) -> str:
    """Collapse whitespace (including newlines) so a value stays on its own form line."""
    return re.sub(r"\s+", " ", str(text)).strip()


def fmt_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def eta_text(incident: Incident) -> str:
    if incident.status is IncidentStatus.RESOLVED and incident.resolved_at is not None:
        return f"Resolved at {fmt_time(incident.resolved_at)}"
    if incident.eta is not None:
        return fmt_time(incident.eta)
    hint = _NEXT_UPDATE.get(incident.severity, "the next business day")
    return f"Not yet estimated; next update within {hint}"


def render_incident_update(incident: Incident, registry: Registry) -> str:
    """INCIDENT / SEVERITY / STATUS / IMPACT / CURRENT_ACTION / ETA / COMMANDER."""
    report = incident.report
    return render(
        "comms/incident_update.j2",
        incident=one_line(f"{incident.id} {report.title} ({report.service}, {report.environment})"),
        severity=incident.severity.value,
        status=incident.status.value,
        impact=one_line(incident.impact),
        current_action=one_line(incident.current_action),
        eta=eta_text(incident),
        commander=registry.role(COMMANDER).name,
    )


def maintenance_type(request: ChangeRequest) -> MaintenanceType:
    text = request.text
    if re.search(r"\bpatch(es|ing)?\b", text):
        return "Patching"
    if re.search(r"\bmigrat(e|es|ed|ing|ion|ions)\b", text):
        return "Migration"
    return "Upgrade"


def render_maintenance_notice(
    request: ChangeRequest, *, rollback_available: bool, contact: str
) -> str:
    """MAINTENANCE / WINDOW (UTC) / AFFECTED / TYPE / IMPACT / ROLLBACK / CONTACT."""
    window = request.maintenance_window
    if window is None:
        raise InputError("maintenance_window: required for a maintenance notification")
    start = window.start.astimezone(UTC)
    end = start + timedelta(minutes=window.duration_minutes)
    return render(
        "comms/maintenance.j2",
        window=f"{start:%Y-%m-%d %H:%M} - {end:%Y-%m-%d %H:%M}",
        affected=one_line(f"{request.service_name} ({request.environment}, {request.component})"),
        type=maintenance_type(request),
        impact=one_line(request.impact),
        rollback="Available" if rollback_available else "Not Available",
        contact=one_line(contact),
    )


class DocLink(BaseModel):
    """A canonical document of the affected service, linked instead of restated."""

    model_config = ConfigDict(frozen=True)
    title: str
    path: str


def recovery_minutes(incident: Incident) -> float | None:
    if incident.resolved_at is None:
        return None
    return (incident.resolved_at - incident.report.detected_at).total_seconds() / 60


def duration_text(minutes: float) -> str:
    """``18 min``, ``2 h 5 min`` or ``under 1 min``: whole minutes, as people say them."""
    whole = round(minutes)
    if minutes < 1:
        return "under 1 min"
    if whole < 120:
        return f"{whole} min"
    hours, rest = divmod(whole, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def fault_owner(incident: Incident, registry: Registry) -> str:
    """Who owned the fault in the end: the team it was handed to, or the routed role."""
    if incident.handoff:
        return f"{incident.handoff} (handed off)"
    return registry.role(incident.owner).name if incident.owner else "not routed"


def render_postmortem(
    incident: Incident, registry: Registry, *, links: Sequence[DocLink] = ()
) -> str:
    """The postmortem as an operational document in lifecycle state Draft."""
    minutes = recovery_minutes(incident)
    return render(
        "comms/postmortem.md.j2",
        incident=incident,
        report=incident.report,
        owner=registry.role(COMMANDER).name,
        fault_owner=fault_owner(incident, registry),
        detected=fmt_time(incident.report.detected_at),
        resolved=fmt_time(incident.resolved_at) if incident.resolved_at else "not resolved",
        recovery=duration_text(minutes) if minutes is not None else "n/a",
        timeline=[(fmt_time(e.at), e.message) for e in incident.timeline],
        decisions=[(fmt_time(d.at), d.by, d.decision) for d in incident.decisions],
        links=list(links),
    )
