"""CLI for incident response: ``incident open|update|resolve|list|show|tick``.

Exit codes: 0 ok, 3 waiting for a human decision, 2 bad input (one line per problem),
1 failure. Everything printed goes through the invocation's :class:`Output`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from opsteam.interfaces.cli.errors import EXIT_WAITING, parse_now, run_action
from opsteam.interfaces.cli.invocation import Invocation
from opsteam.interfaces.cli.options import AtOpt, HomeOpt, JsonOpt, RegistryOpt

if TYPE_CHECKING:
    from opsteam.application.incidents import IncidentResult

IdArg = Annotated[str, typer.Argument(help="Incident id, e.g. inc-1a2b3c4d.")]

INCIDENT_HELP = (
    "Incident response: open, update, resolve, list, show and escalate incidents.\n\n"
    "The Site Reliability Engineer commands; the incident goes Investigating -> Identified -> "
    "Fixing -> Resolved, a postmortem is drafted on resolution, and 'tick' escalates what "
    "nobody resolved in time.\n\n"
    "Exit codes: 0 ok, 3 waiting for a human decision, 2 bad input (nothing changed), 1 failure."
)


def _emit_result(invocation: Invocation, result: IncidentResult, as_json: bool) -> int:
    from opsteam.interfaces.cli import incident_views as views

    data = views.summary(result, invocation.registry)
    invocation.output.emit(data, as_json=as_json, render=views.render_summary)
    return EXIT_WAITING if result.waiting_for_human else 0


def open_cmd(
    title: Annotated[str, typer.Option(help="Brief description of the incident.")],
    description: Annotated[str, typer.Option(help="What is happening, as observed.")],
    service: Annotated[str, typer.Option(help="Affected service slug, e.g. ad or billing-db.")],
    component: Annotated[
        str | None,
        typer.Option(
            help="Optional: what you suspect, free text (database, kafka, ingress...). "
            "Triage reads the alerts and the description either way."
        ),
    ] = None,
    environment: Annotated[
        str | None,
        typer.Option(
            help="dev, staging or prod (default: the alert's environment label, else prod)."
        ),
    ] = None,
    detected_at: Annotated[
        str | None, typer.Option(help="When it was detected, ISO 8601 (default: --at).")
    ] = None,
    severity: Annotated[
        str | None,
        typer.Option(help="P1-P4; overrides triage (else impact shown by the alerts and text)."),
    ] = None,
    alert: Annotated[
        Path | None,
        typer.Option(
            help="Alert payload file, JSON or YAML (Alertmanager webhook: all alerts count)."
        ),
    ] = None,
    home: HomeOpt = None,
    registry: RegistryOpt = None,
    now: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open an incident: triage the evidence, route to its owner, start the escalation clock.

    A fault in application code is handed to the service's owning team; the Site
    Reliability Engineer stays incident commander.
    """

    invocation = Invocation(home, registry)

    def action() -> int:
        from opsteam.application import incidents as ops
        from opsteam.domain.incidents import parse_severity, parse_time

        clock = parse_now(now)
        report = ops.IncidentReport.model_validate(
            {
                "title": title,
                "description": description,
                "service": service,
                "component": component,
                "environment": environment,
                "detected_at": parse_time(detected_at, "detected_at", default=clock),
                "severity": parse_severity(severity) if severity else None,
                "alert": ops.read_payload(alert) if alert else None,
            }
        )
        result = ops.open_incident(invocation.home, report, now=clock, registry=invocation.registry)
        return _emit_result(invocation, result, as_json)

    run_action(invocation, action, as_json=as_json)


def update_cmd(
    incident_id: IdArg,
    status: Annotated[str | None, typer.Option(help="Identified or Fixing (forward only).")] = None,
    impact: Annotated[str | None, typer.Option(help="What is affected now.")] = None,
    action_text: Annotated[
        str | None, typer.Option("--action", help="What is being done now.")
    ] = None,
    eta: Annotated[
        str | None, typer.Option(help="Estimated resolution, ISO 8601, not in the past.")
    ] = None,
    note: Annotated[str | None, typer.Option(help="A note for the timeline.")] = None,
    decision: Annotated[
        str | None,
        typer.Option(help="A human decision; answers a pending decision (use with --by)."),
    ] = None,
    diagnosis: Annotated[
        str | None,
        typer.Option(help="What you found (evidence weighed highest); re-runs triage."),
    ] = None,
    alert: Annotated[
        Path | None, typer.Option(help="Another alert payload file; re-runs triage.")
    ] = None,
    component: Annotated[
        str | None, typer.Option(help="What you now suspect, free text; re-runs triage.")
    ] = None,
    owner: Annotated[
        str | None,
        typer.Option(
            help="Re-route to a role (slug or name), or 'owning-team' to hand the fault to "
            "the service's team. Evidence no longer moves an owner set by hand."
        ),
    ] = None,
    by: Annotated[str, typer.Option(help="Who updates or decides.")] = "incident commander",
    home: HomeOpt = None,
    registry: RegistryOpt = None,
    now: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Update status, impact, action or ETA; add evidence; re-route; record a decision.

    A status or field change sends an incident update. New evidence (--alert,
    --diagnosis, --note, --component) re-runs triage; a changed owner or severity is
    recorded in the timeline. Resolve with 'incident resolve'.
    """
    invocation = Invocation(home, registry)

    def action() -> int:
        from opsteam.application import incidents as ops
        from opsteam.domain.incidents import parse_status, parse_time

        update = ops.IncidentUpdate(
            at=parse_now(now, "at"),
            status=parse_status(status) if status else None,
            impact=impact,
            current_action=action_text,
            eta=parse_time(eta, "eta") if eta else None,
            note=note,
            decision=decision,
            diagnosis=diagnosis,
            alert=ops.read_payload(alert) if alert else None,
            component=component,
            owner=ops.parse_owner(owner, invocation.registry) if owner else None,
            by=by,
        )
        result = ops.update_incident(
            invocation.home, incident_id, update, registry=invocation.registry
        )
        return _emit_result(invocation, result, as_json)

    run_action(invocation, action, as_json=as_json)


def resolve_cmd(
    incident_id: IdArg,
    root_cause: Annotated[str, typer.Option(help="What caused the incident.")],
    follow_up: Annotated[
        list[str] | None, typer.Option(help="A follow-up action (repeatable).")
    ] = None,
    decision: Annotated[
        str | None,
        typer.Option(help="Answer a pending human decision now; recorded as --by's decision."),
    ] = None,
    by: Annotated[str, typer.Option(help="Who resolves.")] = "incident commander",
    home: HomeOpt = None,
    registry: RegistryOpt = None,
    now: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Resolve the incident, send the final update and draft the postmortem.

    Refused while a human decision is pending, unless --decision records it. The
    postmortem is also written to <home>/postmortems/ID.md.
    """
    invocation = Invocation(home, registry)

    def action() -> int:
        from opsteam.application import incidents as ops

        resolution = ops.Resolution(
            at=parse_now(now, "at"),
            root_cause=root_cause,
            follow_ups=follow_up or [],
            by=by,
            decision=decision,
        )
        result = ops.resolve_incident(
            invocation.home, incident_id, resolution, registry=invocation.registry
        )
        return _emit_result(invocation, result, as_json)

    run_action(invocation, action, as_json=as_json)


def list_cmd(
    all_: Annotated[bool, typer.Option("--all", help="Include resolved incidents.")] = False,
    home: HomeOpt = None,
    registry: RegistryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List open incidents (all with --all)."""

    invocation = Invocation(home, registry)

    def action() -> int:
        from opsteam.application import incidents as ops
        from opsteam.interfaces.cli import incident_views as views

        rows = ops.list_incidents(invocation.home, open_only=not all_, registry=invocation.registry)
        invocation.output.emit(
            rows, as_json=as_json, render=lambda r: views.render_list(r, open_only=not all_)
        )
        return 0

    run_action(invocation, action, as_json=as_json)


def show_cmd(
    incident_id: IdArg,
    home: HomeOpt = None,
    registry: RegistryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one incident: fields, timeline with every update recorded, postmortem."""

    invocation = Invocation(home, registry)

    def action() -> int:
        from opsteam.application import incidents as ops
        from opsteam.interfaces.cli import incident_views as views

        data = ops.show_incident(invocation.home, incident_id, registry=invocation.registry)
        invocation.output.emit(data, as_json=as_json, render=views.render_show)
        return 0

    run_action(invocation, action, as_json=as_json)


def tick_cmd(
    home: HomeOpt = None,
    registry: RegistryOpt = None,
    now: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Escalate every open incident whose escalation window has passed.

    Meant for a scheduler; exit 3 when any incident waits for a human decision.
    """
    invocation = Invocation(home, registry)

    def action() -> int:
        from opsteam.application import incidents as ops
        from opsteam.interfaces.cli import incident_views as views

        results = ops.tick(invocation.home, now=parse_now(now), registry=invocation.registry)
        data = [views.summary(r, invocation.registry) for r in results]
        invocation.output.emit(data, as_json=as_json, render=views.render_tick)
        return EXIT_WAITING if any(r.waiting_for_human for r in results) else 0

    run_action(invocation, action, as_json=as_json)


def register(app: typer.Typer) -> None:
    """Add ``incident`` and its commands to the main application."""
    incident = typer.Typer(help=INCIDENT_HELP, no_args_is_help=True)
    incident.command("open")(open_cmd)
    incident.command("update")(update_cmd)
    incident.command("resolve")(resolve_cmd)
    incident.command("list")(list_cmd)
    incident.command("show")(show_cmd)
    incident.command("tick")(tick_cmd)
    app.add_typer(incident, name="incident")
