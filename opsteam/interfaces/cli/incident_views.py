"""How incident, on-call and KPI results look to people (the CLI's render functions).

Data in, lines or a Rich table out; :mod:`opsteam.interfaces.output` redacts and prints them.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.table import Table

from opsteam.agents.sre.escalation import holder_of
from opsteam.domain.incidents import Incident
from opsteam.domain.registry import Registry

if TYPE_CHECKING:
    from opsteam.application.incidents import IncidentResult


def last_communication(incident: Incident) -> str | None:
    for event in reversed(incident.timeline):
        if event.communication:
            return event.communication
    return None


_ROUTING = ("routed", "rerouted", "handed-off")


def _triage(incident: Incident, registry: Registry) -> dict[str, Any]:
    found = incident.assessment
    if found is None:
        return {"symptoms": [], "knock_on": [], "owner_evidence": []}
    return {
        "symptoms": [
            f"{s.symptom.value} at {s.subject} ({s.source})"
            for s in found.symptoms
            if not s.knock_on
        ],
        "knock_on": [f"{s.symptom.value} at {s.subject} ({s.source})" for s in found.knock_on],
        "owner_evidence": list(found.evidence),
    }


def summary(result: IncidentResult, registry: Registry) -> dict[str, Any]:
    incident = result.incident
    specialist = incident.component_owner
    return {
        "id": incident.id,
        "title": incident.report.title,
        "service": incident.report.service,
        "environment": incident.report.environment.value,
        "severity": incident.severity.value,
        "severity_reason": incident.severity_reason,
        "status": incident.status.value,
        "owner": registry.role(incident.owner).name if incident.owner else None,
        "handed_to": incident.handoff,
        "specialist": registry.role(specialist).name if specialist else None,
        **_triage(incident, registry),
        "routing_changed": any(e.kind in _ROUTING for e in result.events),
        "escalation_level": incident.level,
        "held_by": holder_of(registry, incident.level, specialist),
        "waiting_for_human": result.waiting_for_human,
        "awaiting_human": incident.awaiting_human,
        "events": [e.message for e in result.events],
        "sent": result.sent,
        "communication": last_communication(incident),
        "postmortem": incident.postmortem,
        "postmortem_path": str(result.postmortem_path) if result.postmortem_path else None,
    }


def headline(data: dict[str, Any]) -> str:
    handed = f" (handed to {data['handed_to']})" if data.get("handed_to") else ""
    return (
        f"{data['id']}: {data['severity']} {data['status']}, owner {data['owner']}{handed}, "
        f"held by {data['held_by']} ({data['escalation_level']})"
    )


def render_summary(data: dict[str, Any]) -> list[str]:
    lines = [headline(data), *(f"  - {message}" for message in data["events"])]
    if data.get("routing_changed") and data.get("owner_evidence"):
        lines += ["", "Owner evidence:", *(f"  - {e}" for e in data["owner_evidence"])]
        lines += [f"  symptom: {s}" for s in data["symptoms"]]
        lines += [f"  knock-on (not a cause): {s}" for s in data["knock_on"]]
    for form in data["sent"]:
        lines += ["", "Incident update recorded:", form.rstrip()]
    if data["waiting_for_human"]:
        lines += ["", f"Waiting for a human decision: {data['awaiting_human']}"]
        lines.append(f"Decide with: opsteam incident update {data['id']} --decision TEXT --by NAME")
    if data["postmortem"]:
        lines += ["", data["postmortem"].rstrip()]
    if data["postmortem_path"]:
        lines += ["", f"Postmortem written to {data['postmortem_path']}"]
    return lines


def render_list(rows: list[dict[str, Any]], *, open_only: bool = False) -> Table | str:
    """One row per incident; ids never truncated, long text folds instead of being cut."""
    if not rows:
        if open_only:
            return "No open incidents. Resolved ones too: opsteam incident list --all"
        return "No incidents."
    table = Table("id", "sev", "status", "service", "held by", "title")
    for index, column in enumerate(table.columns):
        column.no_wrap = index < 2
        column.overflow = "fold"
    for r in rows:
        status = r["status"] + (" (human decision pending)" if r["awaiting_human"] else "")
        table.add_row(r["id"], r["severity"], status, r["service"], r["held_by"], r["title"])
    return table


def render_show(data: dict[str, Any]) -> list[str]:
    hidden = ("timeline", "postmortem", "triage")
    lines = [f"{k}: {'-' if v is None else v}" for k, v in data.items() if k not in hidden]
    found = data.get("triage")
    if found:
        lines.append(f"triage: {found['owner']} ({found['owner_reason']})")
        lines += [f"  evidence: {e}" for e in found["evidence"]]
        lines += [f"  symptom: {s}" for s in found["symptoms"]]
        lines.append(f"  component-owner level: {found['specialist']}")
    lines.append("timeline:")
    for event in data["timeline"]:
        lines.append(f"  {event['seq']:>3} {event['at']} [{event['kind']}] {event['message']}")
        if event["communication"]:
            lines += [f"        {line}" for line in event["communication"].rstrip().splitlines()]
    if data["postmortem"]:
        lines += ["", data["postmortem"].rstrip()]
    return lines


def render_tick(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return ["No open incidents."]
    lines = []
    for r in rows:
        lines.append(headline(r))
        lines += [f"  - {message}" for message in r["events"]]
        if r["waiting_for_human"]:
            lines.append(f"  waiting for a human decision: {r['awaiting_human']}")
    return lines


def _utc(text: str) -> str:
    return datetime.fromisoformat(text).strftime("%Y-%m-%d %H:%M UTC")


def render_oncall(data: dict[str, Any]) -> list[str]:
    def seat(s: dict[str, Any]) -> str:
        return f"{s['role']} ({s['person']})" if s["person"] else str(s["role"])

    return [
        f"On call at {_utc(data['at'])}:",
        f"  Primary:   {seat(data['primary'])}",
        f"  Secondary: {seat(data['secondary'])}",
        f"  Shift:     {_utc(data['since'])} until {_utc(data['until'])} "
        f"(daily handoff at {data['handoff_utc']} UTC)",
    ]


def render_kpis(rows: list[dict[str, Any]]) -> Table:
    table = Table("KPI", "Target", "Actual", "Status", "Window / basis")
    for r in rows:
        actual = "-" if r["actual"] is None else f"{r['actual']:g} {r['unit']}"
        table.add_row(r["name"], r["target"], actual, r["status"], r["detail"])
    return table
