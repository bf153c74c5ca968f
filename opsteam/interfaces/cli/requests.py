"""Request commands: ``submit``, ``approve``, ``resume``, ``outcome``, ``status``, ``roster``.

A thin translation to :mod:`opsteam.application.service`; exit codes 0 completed, 3 waiting
for approval, 2 bad input, 1 failure.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from opsteam.domain.errors import InputError
from opsteam.interfaces.cli.errors import guarded
from opsteam.interfaces.cli.invocation import Invocation
from opsteam.interfaces.cli.options import HomeOpt, JsonOpt, OutOpt, RegistryOpt
from opsteam.interfaces.cli.strict import StrictOpt, strict_problems

if TYPE_CHECKING:
    from opsteam.application.results import RunResult
    from opsteam.domain.models import Redirect, Verdict

MAX_INPUT_BYTES = 256 * 1024


def _read_input(source: str) -> tuple[bytes, str]:
    if source == "-":
        return sys.stdin.buffer.read(MAX_INPUT_BYTES + 1), "stdin"
    path = Path(source)
    if path.is_dir():
        raise InputError(f"{source}: is a directory; give a request file (YAML or JSON)")
    if not path.exists():
        raise InputError(f"{source}: no such file")
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_INPUT_BYTES + 1), source
    except OSError as exc:
        raise InputError(f"{source}: cannot read ({exc.strerror or exc})") from None


def finish(
    invocation: Invocation, results: list[RunResult], as_json: bool, strict: bool = False
) -> None:
    """Print the results and leave with the worst exit code among them.

    With ``strict``, a finished request with artifacts no validator checked exits 1.
    """
    from opsteam.interfaces.cli import views

    data: Any = [r.model_dump(mode="json") for r in results]
    if len(results) == 1:
        invocation.output.emit(data[0], as_json=as_json, render=views.run_view)
    else:
        invocation.output.emit(data, as_json=as_json, render=views.runs_detail)
    codes = {r.exit_code for r in results}
    problems = strict_problems(results) if strict else []
    if problems:
        invocation.output.error(["--strict: " + line for line in problems], as_json=as_json)
        codes.add(1)
    raise typer.Exit(1 if 1 in codes else 3 if 3 in codes else 0)


def submit(
    file: Annotated[
        str | None,
        typer.Argument(
            help="Request file (YAML or JSON form, or plain words), or - for stdin.",
            show_default=False,
        ),
    ] = None,
    text: Annotated[
        str | None,
        typer.Option("--text", help="The request in plain words.", show_default=False),
    ] = None,
    requester: Annotated[
        str | None,
        typer.Option(help="Who asks, for words (default: $OPSTEAM_USER).", show_default=False),
    ] = None,
    as_json: JsonOpt = False,
    out: OutOpt = None,
    strict: StrictOpt = False,
    home: HomeOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """Submit a change request (a form file, a list, or plain words) to the team."""
    from opsteam.application.model import words_reader
    from opsteam.application.service import current_user
    from opsteam.intake.read import read_requests, understand_words

    invocation = Invocation(home, registry)
    with guarded(invocation, as_json):
        _check_arguments(invocation, out)
        who = requester or current_user()
        if (file is None) == (text is None):
            raise InputError("give a request file (or - for stdin) or --text WORDS, not both")
        reader = words_reader(invocation.settings, invocation.registry)
        if text is not None:
            understood = understand_words(text, invocation.registry, who, reader)
        else:
            raw, source = _read_input(file or "-")
            understood = read_requests(raw, source, invocation.registry, who, reader)
        for note in reader.notes if reader is not None else ():
            invocation.output.help(f"note: model reading: {note}")
        if understood.redirect is not None:
            _redirected(invocation, understood.redirect, as_json)
        reading = reader.use if reader is not None else None
        results = invocation.team().submit(understood.requests, out=out, reading=reading)
    finish(invocation, results, as_json, strict)


def _check_arguments(invocation: Invocation, out: Path | None) -> None:
    """Every argument checked before any work starts: nothing runs or is stored on a bad one."""
    if out is not None:
        from opsteam.application.bundle import check_target

        check_target(out)
    invocation.registry  # noqa: B018  (loaded now: a broken roster fails first)
    invocation.home  # noqa: B018  (checked now: an unusable home fails first)


def _redirected(invocation: Invocation, redirect: Redirect, as_json: bool) -> None:
    """Words that belong to another division: said so (exit 0), nothing run or stored."""
    data = {
        "status": "redirected",
        "redirect": redirect.model_dump(mode="json"),
        "summary": f"Redirected to {redirect.owner}: {redirect.reason}.",
    }
    invocation.output.emit(data, as_json=as_json, render=lambda d: d["summary"])
    raise typer.Exit(0)


def approve(
    thread: Annotated[str, typer.Argument(help="Thread id printed by submit.")],
    checkpoint: Annotated[
        str | None, typer.Option(help="Checkpoint id to decide.", show_default=False)
    ] = None,
    all_pending: Annotated[bool, typer.Option("--all", help="Decide every pending one.")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="Reject (needs --reason).")] = False,
    reason: Annotated[str, typer.Option(help="Why (required with --reject).")] = "",
    changes: Annotated[str, typer.Option("--changes", help="Request changes: feedback.")] = "",
    by: Annotated[
        str | None,
        typer.Option(help="Who decides (default: $OPSTEAM_USER or login).", show_default=False),
    ] = None,
    as_json: JsonOpt = False,
    out: OutOpt = None,
    strict: StrictOpt = False,
    home: HomeOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """Approve, reject or request changes at a pending checkpoint; the run resumes."""
    invocation = Invocation(home, registry)
    with guarded(invocation, as_json):
        _check_arguments(invocation, out)
        if reject and changes:
            raise InputError("choose one of --reject and --changes")
        if reject and not reason.strip():
            raise InputError("--reject needs --reason TEXT")
        verdict: Verdict = "reject" if reject else "changes" if changes else "approve"
        result = invocation.team().decide(
            thread,
            verdict,
            checkpoint=checkpoint,
            all_pending=all_pending,
            reason=changes if changes else reason,
            by=by,
            out=out,
        )
    finish(invocation, [result], as_json, strict)


def resume(
    thread: Annotated[str, typer.Argument(help="Thread id of a request that stopped.")],
    as_json: JsonOpt = False,
    out: OutOpt = None,
    strict: StrictOpt = False,
    home: HomeOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """Retry a request that stopped with an error, from its last saved step."""
    invocation = Invocation(home, registry)
    with guarded(invocation, as_json):
        _check_arguments(invocation, out)
        result = invocation.team().resume(thread, out=out)
    finish(invocation, [result], as_json, strict)


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ROLLED_BACK = "rolled-back"


def outcome(
    thread: Annotated[str, typer.Argument(help="Thread id of a finished request.")],
    result: Annotated[Outcome, typer.Argument(help="How applying the change went.")],
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """Record how applying a finished change went (feeds the change success rate KPI)."""
    invocation = Invocation(home, registry)
    with guarded(invocation, as_json):
        done = invocation.team().record_outcome(thread, result.value)
    data = {"thread_id": done.thread_id, "request": done.request, "outcome": result.value}
    invocation.output.emit(
        data,
        as_json=as_json,
        render=lambda d: f"Recorded: {d['request']} ({d['thread_id']}) {d['outcome']}",
    )


def status(
    thread: Annotated[
        str | None, typer.Argument(help="Thread id; omit to list.", show_default=False)
    ] = None,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """Show one request, or list recent ones."""
    from opsteam.interfaces.cli import list_views

    invocation = Invocation(home, registry)
    with guarded(invocation, as_json):
        if thread is None:  # the listing reads the index: no graph, no LangGraph import
            from opsteam.application.listing import recent_threads

            rows = [r.model_dump(mode="json") for r in recent_threads(invocation.home)]
            invocation.output.emit(rows, as_json=as_json, render=list_views.runs_view)
            return
        from opsteam.application.saved import saved_result

        # At rest, the request's history row holds it: no graph to open, or import.
        saved = saved_result(invocation.home, invocation.settings, invocation.registry, thread)
        result = saved or invocation.team().status(thread)
    from opsteam.interfaces.cli import views

    invocation.output.emit(result.model_dump(mode="json"), as_json=as_json, render=views.run_view)


def roster(as_json: JsonOpt = False, registry: RegistryOpt = None) -> None:
    """The team, by public name."""
    from opsteam.interfaces.cli.list_views import roster_view

    invocation = Invocation(registry_option=registry)
    with guarded(invocation, as_json):
        reg = invocation.registry
        data = {
            "team": reg.team.name,
            "lead": reg.role(reg.team.lead).name,
            "mission": reg.team.mission,
            "roles": [
                {
                    "name": r.name,
                    "slug": r.slug,
                    "title": r.title,
                    "specialty": r.specialty,
                    "primary_responsibility": r.primary_responsibility,
                    "capabilities": list(r.capabilities),
                }
                for r in reg.roles
            ],
        }
    invocation.output.emit(data, as_json=as_json, render=roster_view)


def register(app: typer.Typer) -> None:
    for command in (submit, approve, resume, outcome, status, roster):
        app.command()(command)
    from opsteam.interfaces.cli import revisions

    revisions.register(app)
