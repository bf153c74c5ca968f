"""CLI for operations: ``oncall`` and ``kpis`` (``incident`` is in :mod:`.incidents`).

Exit codes: 0 ok, 3 waiting for a human decision, 2 bad input (one line per problem),
1 failure. Everything printed goes through the invocation's :class:`Output`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from opsteam.domain.errors import InputError
from opsteam.interfaces.cli.errors import parse_now, run_action
from opsteam.interfaces.cli.invocation import Invocation
from opsteam.interfaces.cli.options import HomeOpt, JsonOpt, RegistryOpt


def register(app: typer.Typer) -> None:
    """Add ``oncall`` and ``kpis`` to the main application."""
    app.command("oncall")(_oncall)
    kpis = typer.Typer()
    kpis.callback(invoke_without_command=True)(_kpis)
    # a negative amount is an argument to refuse with a clear line, not an unknown option
    kpis.command("cost", context_settings={"ignore_unknown_options": True})(_kpis_cost)
    app.add_typer(kpis, name="kpis")


def _oncall(
    at: Annotated[
        str | None,
        typer.Option("--at", "--now", help="ISO 8601 time (no zone = UTC; default now)."),
    ] = None,
    as_json: JsonOpt = False,
    registry: RegistryOpt = None,
) -> None:
    """Who is on call (primary and secondary) and until the next daily handoff."""
    invocation = Invocation(registry_option=registry)

    def action() -> int:
        from opsteam.application.oncall import shift_view, who_is_on_call
        from opsteam.interfaces.cli import incident_views as views

        when, roster = parse_now(at, "at"), invocation.registry
        invocation.output.emit(
            shift_view(who_is_on_call(when, roster), when, roster),
            as_json=as_json,
            render=views.render_oncall,
        )
        return 0

    run_action(invocation, action, as_json=as_json)


def _kpis(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(help="Window start, ISO date or time.")] = None,
    home: HomeOpt = None,
    registry: RegistryOpt = None,
    now: Annotated[
        str | None, typer.Option("--now", "--at", help="Window end, ISO time (default: now).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """KPI table from history: target, actual and status (met / missed / no data).

    Record each month's cloud spend with 'opsteam kpis cost MONTH AMOUNT' to feed the cost trend.
    """
    if ctx.invoked_subcommand is not None:
        return

    invocation = Invocation(home, registry)

    def action() -> int:
        from opsteam.application import incidents as ops
        from opsteam.domain.incidents import parse_time
        from opsteam.interfaces.cli import incident_views as views

        clock = parse_now(now)
        start = parse_time(since, "since") if since else None
        if start is not None and start > clock:
            raise InputError(f"since: {start.isoformat()} is after now ({clock.isoformat()})")
        results = ops.kpis(invocation.home, since=start, now=clock, registry=invocation.registry)
        invocation.output.emit(ops.kpi_rows(results), as_json=as_json, render=views.render_kpis)
        return 0

    run_action(invocation, action, as_json=as_json)


def _kpis_cost(
    month: Annotated[str, typer.Argument(help="The month, YYYY-MM.")],
    amount: Annotated[str, typer.Argument(help="Cloud spend of that month, >= 0.")],
    home: HomeOpt = None,
    registry: RegistryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record one month's cloud spend for the cost trend KPI (a month again replaces it)."""

    invocation = Invocation(home, registry)

    def action() -> int:
        from opsteam.application import incidents as ops

        value = ops.record_cost(invocation.home, month, amount)
        data = {"month": month.strip(), "amount": value}
        invocation.output.emit(
            data,
            as_json=as_json,
            render=lambda d: f"Recorded cost for {d['month']}: {d['amount']:,.2f}",
        )
        return 0

    run_action(invocation, action, as_json=as_json)
