"""Incidents in the history store: the query side of the incident graph.

The graph's checkpoint is the source of truth for a live incident; after every step the
incident is mirrored here (idempotently) so lists, KPIs and other processes can read it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from opsteam.agents.sre.comms import DocLink
from opsteam.application.kpis import ChangeFact, CostFact, IncidentFact
from opsteam.application.tables import ChangeRow, CostSampleRow, IncidentEventRow, IncidentRow
from opsteam.domain.errors import NotFoundError
from opsteam.domain.incidents import Incident, IncidentStatus
from opsteam.domain.triage import OWNING_TEAM, Assessment

RUNBOOK = "docs/runbook.md"
ALERT_RULES = "monitoring/alerts.rules.yml"


def _columns(incident: Incident) -> dict[str, Any]:
    report = incident.report
    return {
        "title": report.title,
        "description": report.description,
        "service": report.service,
        "component": report.component or "",
        "environment": report.environment.value,
        "severity": incident.severity.value,
        "severity_reason": incident.severity_reason,
        "status": incident.status.value,
        "impact": incident.impact,
        "current_action": incident.current_action,
        "eta": incident.eta,
        "owner": incident.owner,
        "handoff": incident.handoff,
        "specialist": incident.component_owner,
        "triage": incident.assessment.model_dump(mode="json") if incident.assessment else None,
        "level": incident.level,
        "awaiting_human": incident.awaiting_human,
        "detected_at": report.detected_at,
        "resolved_at": incident.resolved_at,
        "root_cause": incident.root_cause,
        "postmortem": incident.postmortem,
        "alert": report.alert,
    }


def save_incident(session: Session, incident: Incident) -> None:
    """Upsert the incident and append the timeline entries not stored yet."""
    row = session.get(IncidentRow, incident.id)
    if row is None:
        row = IncidentRow(id=incident.id, **_columns(incident))
        session.add(row)
    else:
        for key, value in _columns(incident).items():
            setattr(row, key, value)
    stored = session.scalar(
        select(func.max(IncidentEventRow.seq)).where(IncidentEventRow.incident_id == incident.id)
    )
    for event in incident.timeline:
        if event.seq > (stored or 0):
            session.add(
                IncidentEventRow(
                    incident_id=incident.id,
                    seq=event.seq,
                    at=event.at,
                    kind=event.kind,
                    message=event.message,
                    communication=event.communication,
                )
            )


def incident_exists(session: Session, incident_id: str) -> bool:
    return session.get(IncidentRow, incident_id) is not None


def get_incident_row(session: Session, incident_id: str) -> IncidentRow:
    row = session.get(IncidentRow, incident_id)
    if row is None:
        raise NotFoundError(f"incident {incident_id!r} not found")
    return row


def list_incident_rows(session: Session, *, open_only: bool = False) -> list[IncidentRow]:
    query = select(IncidentRow).order_by(IncidentRow.detected_at, IncidentRow.id)
    if open_only:
        query = query.where(IncidentRow.status != IncidentStatus.RESOLVED.value)
    return list(session.scalars(query))


def incident_view(row: IncidentRow, *, names: dict[str, str], timeline: bool) -> dict[str, Any]:
    """What `incident list/show` print: public role names, times in ISO UTC."""
    view: dict[str, Any] = {
        "id": row.id,
        "title": row.title,
        "service": row.service,
        "component": row.component or None,
        "environment": row.environment,
        "severity": row.severity,
        "severity_reason": row.severity_reason,
        "status": row.status,
        "impact": row.impact,
        "current_action": row.current_action,
        "eta": row.eta.isoformat() if row.eta else None,
        "owner": names.get(row.owner, row.owner) if row.owner else None,
        "handed_to": row.handoff,
        "escalation_level": row.level,
        "awaiting_human": row.awaiting_human,
        "detected_at": row.detected_at.isoformat(),
        "resolved_at": row.resolved_at.isoformat() if row.resolved_at else None,
    }
    if timeline:
        view["description"] = row.description
        view["root_cause"] = row.root_cause
        view["triage"] = triage_view(row.triage, names)
        view["timeline"] = [
            {
                "seq": e.seq,
                "at": e.at.isoformat(),
                "kind": e.kind,
                "message": e.message,
                "communication": e.communication,
            }
            for e in row.events
        ]
        view["postmortem"] = row.postmortem
    return view


def triage_view(data: dict[str, Any] | None, names: dict[str, str]) -> dict[str, Any] | None:
    """The stored assessment as people read it: symptoms, owner evidence, other candidates."""
    if not data:
        return None
    found = Assessment.model_validate(data)

    def shown(owner: str) -> str:
        return names.get(owner, "the service's owning team" if owner == OWNING_TEAM else owner)

    return {
        "symptoms": [
            f"{s.symptom.value} at {s.subject} ({s.source})" + (" [knock-on]" if s.knock_on else "")
            for s in found.symptoms
        ],
        "owner": shown(found.owner),
        "owner_reason": found.owner_reason,
        "evidence": list(found.evidence),
        "candidates": [{"owner": shown(c.owner), "score": c.score} for c in found.candidates],
        "specialist": shown(found.specialist),
        "severity_reason": found.severity_reason,
    }


def service_links(session: Session, service: str, environment: str) -> list[DocLink]:
    """Runbook and alert rules the request flow produced for the service, if they exist."""
    rows = session.scalars(
        select(ChangeRow)
        .where(ChangeRow.service == service, ChangeRow.bundle_path.is_not(None))
        .order_by(ChangeRow.finished_at.desc())
    )
    ranked = sorted(rows, key=lambda r: r.environment != environment)  # same env first
    for row in ranked:
        bundle = Path(row.bundle_path or "")
        found = [
            DocLink(title=title, path=str(bundle / rel))
            for title, rel in (("Runbook", RUNBOOK), ("Alert rules", ALERT_RULES))
            if (bundle / rel).is_file()
        ]
        if found:
            return found
    return []


def kpi_history(session: Session) -> tuple[list[IncidentFact], list[ChangeFact], list[CostFact]]:
    incidents = [
        IncidentFact(r.severity, r.environment, r.detected_at, r.resolved_at)
        for r in session.scalars(select(IncidentRow))
    ]
    changes = [
        ChangeFact(r.outcome, r.finished_at, r.resources_as_code, r.resources_total)
        for r in session.scalars(select(ChangeRow))
    ]
    costs = [CostFact(r.month, float(r.amount)) for r in session.scalars(select(CostSampleRow))]
    return incidents, changes, costs
