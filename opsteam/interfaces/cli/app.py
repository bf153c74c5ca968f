"""The ``opsteam`` command: a thin translation to :mod:`opsteam.application.service`.

Exit codes: 0 completed, 3 waiting for approval, 2 bad input, 1 failure.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from opsteam.application.results import RunResult
from opsteam.application.service import Opsteam
from opsteam.domain.errors import InputError, OpsteamError
from opsteam.domain.models import Verdict
from opsteam.domain.redaction import RedactingFilter
from opsteam.domain.registry import Registry, load_registry
from opsteam.intake import MAX_INPUT_BYTES, parse_requests
from opsteam.interfaces.cli.ops import register as register_ops
from opsteam.interfaces.cli.views import roster_view, run_view, runs_view
from opsteam.interfaces.output import emit, emit_error, emit_help, progress_printer

app = typer.Typer(
    name="opsteam",
    help="An infrastructure & operations team: submit change requests, approve checkpoints.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

HomeOpt = Annotated[
    Path | None,
    typer.Option("--home", envvar="OPSTEAM_HOME", help="Data directory (default: user data dir)."),
]
RegistryOpt = Annotated[
    Path | None,
    typer.Option("--registry", envvar="OPSTEAM_REGISTRY", help="Use your own registry.yaml."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]
OutOpt = Annotated[
    Path | None, typer.Option("--out", help="Write the artifact bundle and manifest here.")
]


@contextmanager
def _guard(as_json: bool = False) -> Iterator[None]:
    """Known errors become one line each and their exit code; nothing else leaks."""
    try:
        yield
    except OpsteamError as exc:
        emit_error(exc.lines(), as_json=as_json)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        emit_error(["interrupted"], as_json=as_json)
        raise typer.Exit(130) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:
        if os.environ.get("OPSTEAM_DEBUG"):
            raise
        emit_error([f"internal error: {type(exc).__name__}: {exc}"], as_json=as_json)
        raise typer.Exit(1) from None


def _registry(path: Path | None) -> Registry:
    return load_registry(path)


def _team(home: Path | None, registry: Path | None) -> Opsteam:
    """The team for one command, with step progress when a person watches the terminal."""
    return Opsteam(home, _registry(registry), progress=progress_printer())


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


def _finish(results: list[RunResult], as_json: bool) -> None:
    data: Any = [r.model_dump(mode="json") for r in results]
    if len(results) == 1:
        emit(data[0], as_json=as_json, render=run_view)
    else:
        emit(
            data,
            as_json=as_json,
            render=lambda rows: [
                item
                for index, row in enumerate(rows)
                for item in ([Text("")] if index else []) + list(run_view(row))
            ],
        )
    codes = {r.exit_code for r in results}
    code = 1 if 1 in codes else 3 if 3 in codes else 0
    raise typer.Exit(code)


@app.command()
def submit(
    file: Annotated[str, typer.Argument(help="Request file (YAML or JSON), or - for stdin.")],
    as_json: JsonOpt = False,
    out: OutOpt = None,
    home: HomeOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """Submit one change request (or a list) to the team."""
    with _guard(as_json):
        raw, source = _read_input(file)
        requests = parse_requests(raw, source)
        team = _team(home, registry)
        results = team.submit(requests, out=out)
    _finish(results, as_json)


@app.command()
def approve(
    thread: Annotated[str, typer.Argument(help="Thread id printed by submit.")],
    checkpoint: Annotated[str | None, typer.Option(help="Checkpoint id to decide.")] = None,
    all_pending: Annotated[bool, typer.Option("--all", help="Decide every pending one.")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="Reject (needs --reason).")] = False,
    reason: Annotated[str, typer.Option(help="Why (required with --reject).")] = "",
    changes: Annotated[str, typer.Option("--changes", help="Request changes: feedback.")] = "",
    by: Annotated[str | None, typer.Option(help="Who decides (default: $OPSTEAM_USER).")] = None,
    as_json: JsonOpt = False,
    out: OutOpt = None,
    home: HomeOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """Approve, reject or request changes at a pending checkpoint; the run resumes."""
    with _guard(as_json):
        if reject and changes:
            raise InputError("choose one of --reject and --changes")
        if reject and not reason.strip():
            raise InputError("--reject needs --reason TEXT")
        verdict: Verdict = "reject" if reject else "changes" if changes else "approve"
        why = changes if changes else reason
        team = _team(home, registry)
        result = team.decide(
            thread,
            verdict,
            checkpoint=checkpoint,
            all_pending=all_pending,
            reason=why,
            by=by,
            out=out,
        )
    _finish([result], as_json)


@app.command()
def resume(
    thread: Annotated[str, typer.Argument(help="Thread id of a request that stopped.")],
    as_json: JsonOpt = False,
    out: OutOpt = None,
    home: HomeOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """Retry a request that stopped with an error, from its last saved step."""
    with _guard(as_json):
        team = _team(home, registry)
        result = team.resume(thread, out=out)
    _finish([result], as_json)


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ROLLED_BACK = "rolled-back"


@app.command()
def outcome(
    thread: Annotated[str, typer.Argument(help="Thread id of a finished request.")],
    result: Annotated[Outcome, typer.Argument(help="How applying the change went.")],
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """Record how applying a finished change went (feeds the change success rate KPI)."""
    with _guard(as_json):
        done = _team(home, registry).record_outcome(thread, result.value)
    data = {"thread_id": done.thread_id, "request": done.request, "outcome": result.value}
    emit(
        data,
        as_json=as_json,
        render=lambda d: f"Recorded: {d['request']} ({d['thread_id']}) {d['outcome']}",
    )


@app.command()
def status(
    thread: Annotated[str | None, typer.Argument(help="Thread id; omit to list.")] = None,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """Show one request, or list recent ones."""
    with _guard(as_json):
        team = _team(home, registry)
        if thread is None:
            rows = [r.model_dump(mode="json") for r in team.threads()]
            emit(rows, as_json=as_json, render=runs_view)
            return
        result = team.status(thread)
    emit(result.model_dump(mode="json"), as_json=as_json, render=run_view)


@app.command()
def roster(as_json: JsonOpt = False, registry: RegistryOpt = None) -> None:
    """The team, by public name."""
    with _guard(as_json):
        reg = _registry(registry)
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
    emit(data, as_json=as_json, render=roster_view)


register_ops(app)


def main() -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter())
    logging.basicConfig(level=os.environ.get("OPSTEAM_LOG", "WARNING"), handlers=[handler])
    sys.exit(_run_app(sys.argv[1:]))


def _framework_error(name: str) -> type[Exception]:
    """Typer raises click's exceptions (vendored in newer Typer): find them by name."""
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == name)


_UsageError = _framework_error("UsageError")
_ClickException = _framework_error("ClickException")


def _run_app(args: list[str]) -> int:
    """Run the command; a usage mistake becomes one ``error:`` line and exit 2, like bad input."""
    try:
        code = app(args=args, standalone_mode=False)
    except _UsageError as exc:
        message: str = exc.format_message()  # type: ignore[attr-defined]
        if type(exc).__name__ == "NoArgsIsHelpError":
            emit_help(message)
            return 2
        ctx = getattr(exc, "ctx", None)
        hint = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
        emit_error([message.replace("Value error, ", "") + hint])
        return 2
    except _ClickException as exc:
        emit_error([exc.format_message()])  # type: ignore[attr-defined]
        return int(getattr(exc, "exit_code", 1))
    except typer.Abort:
        emit_error(["aborted"])
        return 1
    return code if isinstance(code, int) else 0
