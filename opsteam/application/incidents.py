"""Incident commands: check, run the incident graph, mirror the result into the store.

Every command is checked against the current incident *before* the graph runs, so bad input
changes neither the checkpoint nor the database. The clock is always a parameter.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from opsteam.agents.sre import incidents as commander
from opsteam.agents.sre.escalation import holder_of, passed_levels
from opsteam.agents.sre.incidents import IncidentUpdate, Resolution, parse_owner
from opsteam.application.db import Store, check_cost_sample, open_store, record_cost_sample
from opsteam.application.incident_store import (
    get_incident_row,
    incident_view,
    kpi_history,
    list_incident_rows,
    save_incident,
    service_links,
)
from opsteam.application.kpis import KpiResult, compute_kpis, kpi_rows
from opsteam.application.tables import IncidentRow
from opsteam.domain.errors import ConflictError, InputError, NotFoundError
from opsteam.domain.incidents import (
    Incident,
    IncidentReport,
    TimelineEvent,
    as_utc,
    check_time,
    incident_id,
)
from opsteam.domain.models import slugify
from opsteam.domain.redaction import Redactor
from opsteam.domain.registry import Registry
from opsteam.domain.yamlio import UnsafeYaml, load_strict
from opsteam.graphs.state import IncidentCommand, IncidentState

if TYPE_CHECKING:  # the graph machinery loads only for commands that run the graph
    from langchain_core.runnables import RunnableConfig
    from langgraph.graph.state import CompiledStateGraph
    from langgraph.types import Command

    Graph = CompiledStateGraph[IncidentState, None, IncidentState, IncidentState]

MAX_PAYLOAD_BYTES = 1_000_000

__all__ = [
    "IncidentReport",
    "IncidentResult",
    "IncidentUpdate",
    "Resolution",
    "kpi_rows",
    "parse_owner",
]


@dataclass(frozen=True)
class IncidentResult:
    incident: Incident
    waiting_for_human: bool
    postmortem_path: Path | None = None
    events: tuple[TimelineEvent, ...] = ()  # what this command added to the timeline

    @property
    def sent(self) -> list[str]:
        """The incident updates this command sent (at opening, status or field changes)."""
        return [e.communication for e in self.events if e.communication]


@dataclass
class _Desk:
    registry: Registry
    store: Store
    graph: Graph

    def state(self, iid: str) -> IncidentState | None:
        values = self.graph.get_state(_config(iid)).values
        return IncidentState.model_validate(values) if values else None

    def current(self, iid: str) -> Incident:
        state = self.state(iid)
        if state is None or state.incident is None:
            raise NotFoundError(f"incident {iid!r} not found")
        return state.incident

    def run(self, iid: str, payload: IncidentState | Command[Any]) -> IncidentResult:
        before = self.state(iid)
        seen = len(before.incident.timeline) if before and before.incident else 0
        self.graph.invoke(payload, _config(iid), durability="sync")
        incident = self.current(iid)
        with self.store.session() as session:
            save_incident(session, incident)
        snapshot = self.graph.get_state(_config(iid))
        # What leaves the application is redacted, like RunResult: roster IDs named.
        redactor = Redactor.for_registry(self.registry)
        shown = Incident.model_validate(redactor.value(incident.model_dump(mode="json")))
        return IncidentResult(shown, "human" in snapshot.next, events=shown.timeline[seen:])

    def resume(self, iid: str, command: IncidentCommand) -> IncidentResult:
        from langgraph.types import Command

        return self.run(iid, Command(resume=command.model_dump(mode="json")))


def _config(iid: str) -> RunnableConfig:
    return {"configurable": {"thread_id": iid}}


@contextmanager
def _desk(home: Path, registry: Registry) -> Iterator[_Desk]:
    from opsteam.application.checkpoints import open_checkpointer
    from opsteam.graphs.incident import build_incident_graph

    with open_store(home) as store, open_checkpointer(home) as saver:
        yield _Desk(registry, store, build_incident_graph(registry, saver))


def open_incident(
    home: Path, report: IncidentReport, *, now: datetime, registry: Registry
) -> IncidentResult:
    """Triage, route and escalate a new incident as of ``now``."""
    now = as_utc(now)
    if report.detected_at > now:
        raise InputError(f"detected_at: {report.detected_at.isoformat()} is in the future")
    report = _named_report(report, Redactor.for_registry(registry))
    iid = incident_id(report)
    with _desk(home, registry) as desk:
        if desk.state(iid) is not None:
            raise ConflictError(f"incident {iid} already exists for this report")
        return desk.run(iid, IncidentState(report=report, now=now))


def _named_report(report: IncidentReport, redactor: Redactor) -> IncidentReport:
    """The report as every way out shows it, its service still a slug (names have spaces)."""
    named = redactor.named_model(report)
    if named.service == report.service:
        return named
    return named.model_copy(update={"service": slugify(named.service)})


def update_incident(
    home: Path, iid: str, update: commander.IncidentUpdate, *, registry: Registry
) -> IncidentResult:
    """Status / impact / action / ETA / note / human decision, in one timeline step."""
    update = Redactor.for_registry(registry).named_model(update)  # stored as it is shown
    with _desk(home, registry) as desk:
        commander.check_update(desk.current(iid), update)
        return desk.resume(iid, IncidentCommand(kind="update", at=update.at, update=update))


def resolve_incident(
    home: Path, iid: str, resolution: commander.Resolution, *, registry: Registry
) -> IncidentResult:
    """Resolve and draft the postmortem, linking the service's runbook and alert rules."""
    resolution = Redactor.for_registry(registry).named_model(resolution)
    with _desk(home, registry) as desk:
        incident = desk.current(iid)
        commander.check_resolution(incident, resolution)
        with desk.store.session() as session:
            links = service_links(
                session, incident.report.service, incident.report.environment.value
            )
        command = IncidentCommand(
            kind="resolve", at=resolution.at, resolution=resolution, links=links
        )
        result = desk.resume(iid, command)
    path = write_postmortem(home, result.incident, Redactor.for_registry(registry))
    return replace(result, postmortem_path=path)


def write_postmortem(home: Path, incident: Incident, redactor: Redactor) -> Path | None:
    """The postmortem as a file under the data home (redacted, like every way out)."""
    if incident.postmortem is None:
        return None
    path = home / "postmortems" / f"{incident.id}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(redactor.text(incident.postmortem), encoding="utf-8")
    return path


def tick(home: Path, *, now: datetime, registry: Registry) -> list[IncidentResult]:
    """Escalate every open incident whose window passed; report every open incident."""
    now = as_utc(now)
    with _desk(home, registry) as desk:
        with desk.store.session() as session:
            ids = [row.id for row in list_incident_rows(session, open_only=True)]
        incidents = [desk.current(iid) for iid in ids]
        for incident in incidents:  # all checks first: a bad time changes nothing
            check_time(incident, now, what="now")
        results = []
        for incident in incidents:
            due = passed_levels(
                registry,
                detected_at=incident.report.detected_at,
                since_level=incident.level,
                now=now,
                owner=incident.component_owner,
            )
            if due:
                results.append(desk.resume(incident.id, IncidentCommand(kind="tick", at=now)))
            else:
                results.append(IncidentResult(incident, incident.awaiting_human is not None))
        return results


def read_payload(path: Path) -> dict[str, Any]:
    """An alert payload file, JSON or YAML, that must hold a mapping."""
    try:
        if path.stat().st_size > MAX_PAYLOAD_BYTES:
            raise InputError(f"alert: {path} is larger than {MAX_PAYLOAD_BYTES} bytes")
        data = load_strict(path.read_text(encoding="utf-8"))
    except UnsafeYaml as exc:
        raise InputError(f"alert: {path}: {exc}") from None
    except OSError as exc:
        raise InputError(f"alert: cannot read {path} ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InputError(f"alert: {path} is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"alert: malformed JSON/YAML in {path}{where}") from None
    if not isinstance(data, dict):
        raise InputError(f"alert: {path} must hold a mapping (an alert object)")
    return {str(k): v for k, v in data.items()}


def record_cost(home: Path, month: str, amount_text: str) -> float:
    """Record one month's cloud spend (replacing an earlier figure); checked before writing."""
    month = month.strip()
    try:
        amount: float | None = float(amount_text.strip())
    except ValueError:
        amount = None
    problems: list[str] = []
    try:
        check_cost_sample(month, 0.0 if amount is None else amount)
    except InputError as exc:
        problems += exc.lines()
    if amount is None:
        problems.append(f"amount: {amount_text!r} is not a number")
    if problems or amount is None:
        raise InputError(problems[0], problems)
    with open_store(home) as store:
        record_cost_sample(store, month.strip(), amount)
    return amount


def show_incident(home: Path, iid: str, *, registry: Registry) -> dict[str, Any]:
    with open_store(home) as store, store.session() as session:
        row = get_incident_row(session, iid)
        return _view(row, registry, timeline=True)


def list_incidents(home: Path, *, open_only: bool, registry: Registry) -> list[dict[str, Any]]:
    with open_store(home) as store, store.session() as session:
        rows = list_incident_rows(session, open_only=open_only)
        return [_view(r, registry, timeline=False) for r in rows]


def _view(row: IncidentRow, registry: Registry, *, timeline: bool) -> dict[str, Any]:
    view = incident_view(row, names=_names(registry), timeline=timeline)
    view["held_by"] = holder_of(registry, row.level, row.specialist or row.owner)
    shown: dict[str, Any] = Redactor.for_registry(registry).value(view)  # a Python API exit too
    return shown


def kpis(
    home: Path, *, since: datetime | None, now: datetime, registry: Registry
) -> list[KpiResult]:
    with open_store(home) as store, store.session() as session:
        incidents, changes, costs = kpi_history(session)
    return compute_kpis(
        registry, incidents=incidents, changes=changes, costs=costs, since=since, until=now
    )


def _names(registry: Registry) -> dict[str, str]:
    return {r.slug: r.name for r in registry.roles}
