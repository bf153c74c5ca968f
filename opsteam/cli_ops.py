"""CLI for operations: ``incident open|update|resolve|list|show|tick``, ``oncall``, ``kpis``.

Exit codes: 0 ok, 3 waiting for a human decision, 2 bad input (one line per problem),
1 failure. Everything printed goes through :mod:`opsteam.output`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import ValidationError
from rich.table import Table

from opsteam import incident_ops as ops
from opsteam.agents.incident_commander import IncidentUpdate, Resolution
from opsteam.errors import InputError, OpsteamError, describe_validation_error
from opsteam.home import data_home
from opsteam.incidents import Incident, IncidentReport, parse_severity, parse_status
from opsteam.oncall import who_is_on_call
from opsteam.output import emit, emit_error
from opsteam.registry import Registry, load_registry

EXIT_WAITING = 3
MAX_PAYLOAD_BYTES = 1_000_000

HomeOpt = Annotated[Path | None, typer.Option("--home", help="Data home (else OPSTEAM_HOME).")]
NowOpt = Annotated[
    str | None, typer.Option("--now", "--at", help="Clock override, ISO time (default: now).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
IdArg = Annotated[str, typer.Argument(help="Incident id, e.g. inc-1a2b3c4d.")]


def parse_time(text: str | None, field: str, *, default: datetime | None = None) -> datetime:
    """ISO 8601 time or date; a time without a zone is taken as UTC."""
    if text is None:
        return default or datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{field}: {text!r} is not an ISO 8601 time") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def read_payload(path: Path) -> dict[str, Any]:
    """An alert payload file, JSON or YAML, that must hold a mapping."""
    try:
        if path.stat().st_size > MAX_PAYLOAD_BYTES:
            raise InputError(f"alert: {path} is larger than {MAX_PAYLOAD_BYTES} bytes")
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
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


def _run(action: Callable[[], int], *, as_json: bool) -> None:
    """Run a command; map errors to exit codes with one line per problem, no traceback."""
    try:
        code = action()
    except OpsteamError as exc:
        emit_error(exc.lines(), as_json=as_json)
        raise typer.Exit(exc.exit_code) from None
    except ValidationError as exc:
        emit_error(describe_validation_error(exc), as_json=as_json)
        raise typer.Exit(2) from None
    except Exception as exc:
        emit_error([f"unexpected failure: {type(exc).__name__}: {exc}"], as_json=as_json)
        raise typer.Exit(1) from None
    if code:
        raise typer.Exit(code)


def _last_communication(incident: Incident) -> str | None:
    for event in reversed(incident.timeline):
        if event.communication:
            return event.communication
    return None


def _summary(result: ops.IncidentResult, registry: Registry) -> dict[str, Any]:
    incident = result.incident
    return {
        "id": incident.id,
        "title": incident.report.title,
        "severity": incident.severity.value,
        "severity_reason": incident.severity_reason,
        "status": incident.status.value,
        "owner": registry.role(incident.owner).name if incident.owner else None,
        "escalation_level": incident.level,
        "waiting_for_human": result.waiting_for_human,
        "awaiting_human": incident.awaiting_human,
        "communication": _last_communication(incident),
        "postmortem": incident.postmortem,
        "postmortem_path": str(result.postmortem_path) if result.postmortem_path else None,
    }


def _render_summary(data: dict[str, Any]) -> list[str]:
    lines = [
        f"{data['id']}: {data['severity']} {data['status']}, owner {data['owner']}, "
        f"escalation level {data['escalation_level']}"
    ]
    if data["communication"]:
        lines += ["", data["communication"].rstrip()]
    if data["waiting_for_human"]:
        lines += ["", f"Waiting for a human decision: {data['awaiting_human']}"]
        lines.append(f"Decide with: opsteam incident update {data['id']} --decision TEXT --by NAME")
    if data["postmortem"]:
        lines += ["", data["postmortem"].rstrip()]
    return lines


def _emit_result(result: ops.IncidentResult, registry: Registry, as_json: bool) -> int:
    emit(_summary(result, registry), as_json=as_json, render=_render_summary)
    return EXIT_WAITING if result.waiting_for_human else 0


def _render_list(rows: list[dict[str, Any]]) -> Table | str:
    if not rows:
        return "No incidents."
    table = Table("id", "severity", "status", "service", "owner", "level", "title")
    for r in rows:
        status = r["status"] + (" (human decision pending)" if r["awaiting_human"] else "")
        table.add_row(
            r["id"],
            r["severity"],
            status,
            r["service"],
            r["owner"] or "",
            r["escalation_level"],
            r["title"],
        )
    return table


def _render_show(data: dict[str, Any]) -> list[str]:
    lines = [f"{k}: {v}" for k, v in data.items() if k not in ("timeline", "postmortem")]
    lines.append("timeline:")
    for event in data["timeline"]:
        lines.append(f"  {event['seq']:>3} {event['at']} [{event['kind']}] {event['message']}")
    if data["postmortem"]:
        lines += ["", data["postmortem"].rstrip()]
    return lines


def register(app: typer.Typer) -> None:
    """Add ``incident``, ``oncall`` and ``kpis`` to the main application."""
    incident = typer.Typer(help="Incident response.", no_args_is_help=True)
    app.add_typer(incident, name="incident")

    @incident.command("open")
    def open_cmd(
        title: Annotated[str, typer.Option(help="Brief description.")],
        description: Annotated[str, typer.Option(help="What is happening.")],
        service: Annotated[str, typer.Option(help="Affected service slug.")],
        component: Annotated[str, typer.Option(help="server, network, database, dns, ...")],
        environment: Annotated[str, typer.Option(help="dev, staging or prod.")] = "prod",
        detected_at: Annotated[str | None, typer.Option(help="ISO time (default: now).")] = None,
        severity: Annotated[str | None, typer.Option(help="P1-P4, overrides triage.")] = None,
        alert: Annotated[Path | None, typer.Option(help="Alert payload, JSON or YAML.")] = None,
        home: HomeOpt = None,
        now: NowOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Open an incident: triage, route to the owner, start the escalation clock."""

        def action() -> int:
            registry = load_registry()
            clock = parse_time(now, "now")
            report = IncidentReport.model_validate(
                {
                    "title": title,
                    "description": description,
                    "service": service,
                    "component": component,
                    "environment": environment,
                    "detected_at": parse_time(detected_at, "detected_at", default=clock),
                    "severity": parse_severity(severity) if severity else None,
                    "alert": read_payload(alert) if alert else None,
                }
            )
            result = ops.open_incident(data_home(home), report, now=clock, registry=registry)
            return _emit_result(result, registry, as_json)

        _run(action, as_json=as_json)

    @incident.command("update")
    def update_cmd(
        incident_id: IdArg,
        status: Annotated[str | None, typer.Option(help="Identified or Fixing.")] = None,
        impact: Annotated[str | None, typer.Option(help="What is affected.")] = None,
        action_text: Annotated[
            str | None, typer.Option("--action", help="What is being done now.")
        ] = None,
        eta: Annotated[str | None, typer.Option(help="Estimated resolution, ISO time.")] = None,
        note: Annotated[str | None, typer.Option(help="A timeline note.")] = None,
        decision: Annotated[str | None, typer.Option(help="A human decision.")] = None,
        by: Annotated[str, typer.Option(help="Who is updating.")] = "incident commander",
        home: HomeOpt = None,
        now: NowOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Update status, impact, action or ETA; record a human decision with --decision."""

        def action() -> int:
            registry = load_registry()
            update = IncidentUpdate(
                at=parse_time(now, "now"),
                status=parse_status(status) if status else None,
                impact=impact,
                current_action=action_text,
                eta=parse_time(eta, "eta") if eta else None,
                note=note,
                decision=decision,
                by=by,
            )
            result = ops.update_incident(data_home(home), incident_id, update, registry=registry)
            return _emit_result(result, registry, as_json)

        _run(action, as_json=as_json)

    @incident.command("resolve")
    def resolve_cmd(
        incident_id: IdArg,
        root_cause: Annotated[str, typer.Option(help="What caused the incident.")],
        follow_up: Annotated[
            list[str] | None, typer.Option(help="A follow-up action (repeatable).")
        ] = None,
        by: Annotated[str, typer.Option(help="Who resolves.")] = "incident commander",
        home: HomeOpt = None,
        now: NowOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Resolve the incident and draft its postmortem."""

        def action() -> int:
            registry = load_registry()
            resolution = Resolution(
                at=parse_time(now, "now"), root_cause=root_cause, follow_ups=follow_up or [], by=by
            )
            result = ops.resolve_incident(
                data_home(home), incident_id, resolution, registry=registry
            )
            return _emit_result(result, registry, as_json)

        _run(action, as_json=as_json)

    @incident.command("list")
    def list_cmd(
        all_: Annotated[bool, typer.Option("--all", help="Include resolved incidents.")] = False,
        home: HomeOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """List open incidents (all with --all)."""

        def action() -> int:
            rows = ops.list_incidents(data_home(home), open_only=not all_, registry=load_registry())
            emit(rows, as_json=as_json, render=_render_list)
            return 0

        _run(action, as_json=as_json)

    @incident.command("show")
    def show_cmd(incident_id: IdArg, home: HomeOpt = None, as_json: JsonOpt = False) -> None:
        """Show one incident with its timeline and communications."""

        def action() -> int:
            data = ops.show_incident(data_home(home), incident_id, registry=load_registry())
            emit(data, as_json=as_json, render=_render_show)
            return 0

        _run(action, as_json=as_json)

    @incident.command("tick")
    def tick_cmd(home: HomeOpt = None, now: NowOpt = None, as_json: JsonOpt = False) -> None:
        """Escalate every open incident whose escalation window has passed."""

        def action() -> int:
            registry = load_registry()
            results = ops.tick(data_home(home), now=parse_time(now, "now"), registry=registry)
            data = [_summary(r, registry) for r in results]
            emit(data, as_json=as_json, render=_render_tick)
            return EXIT_WAITING if any(r.waiting_for_human for r in results) else 0

        _run(action, as_json=as_json)

    app.command("oncall")(_oncall)
    app.command("kpis")(_kpis)


def _render_tick(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return ["No open incidents."]
    return [
        f"{r['id']}: {r['severity']} {r['status']}, level {r['escalation_level']}"
        + (
            f"; waiting for a human decision: {r['awaiting_human']}"
            if r["waiting_for_human"]
            else ""
        )
        for r in rows
    ]


def _oncall(
    at: Annotated[
        str | None, typer.Option("--at", "--now", help="ISO time (default: now).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Who is on call (primary and secondary) and until when."""

    def action() -> int:
        shift = who_is_on_call(parse_time(at, "at"), load_registry())
        data = {
            "primary": {"role": shift.primary.role, "person": shift.primary.person},
            "secondary": {"role": shift.secondary.role, "person": shift.secondary.person},
            "since": shift.since.isoformat(),
            "until": shift.until.isoformat(),
        }
        emit(
            data,
            as_json=as_json,
            render=lambda d: [
                f"Primary: {_seat(d['primary'])}",
                f"Secondary: {_seat(d['secondary'])}",
                f"Until: {d['until']} (daily handoff)",
            ],
        )
        return 0

    _run(action, as_json=as_json)


def _seat(seat: dict[str, Any]) -> str:
    return f"{seat['role']} ({seat['person']})" if seat["person"] else str(seat["role"])


def _kpis(
    since: Annotated[str | None, typer.Option(help="Window start, ISO date or time.")] = None,
    home: HomeOpt = None,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """KPIs from history against the registry's targets."""

    def action() -> int:
        clock = parse_time(now, "now")
        start = parse_time(since, "since") if since else None
        if start is not None and start > clock:
            raise InputError(f"since: {start.isoformat()} is after now ({clock.isoformat()})")
        results = ops.kpis(data_home(home), since=start, now=clock, registry=load_registry())
        data = [
            {
                "key": r.key,
                "name": r.name,
                "target": f"{r.comparison} {r.target:g} {r.unit}",
                "actual": r.actual,
                "unit": r.unit,
                "status": r.status,
                "detail": r.detail,
            }
            for r in results
        ]
        emit(data, as_json=as_json, render=_render_kpis)
        return 0

    _run(action, as_json=as_json)


def _render_kpis(rows: list[dict[str, Any]]) -> Table:
    table = Table("KPI", "Target", "Actual", "Status", "Window / basis")
    for r in rows:
        actual = "-" if r["actual"] is None else f"{r['actual']:g} {r['unit']}"
        table.add_row(r["name"], r["target"], actual, r["status"], r["detail"])
    return table
