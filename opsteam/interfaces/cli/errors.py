"""One error handler for every command: one line per problem, the right exit code; and the
helpers the operations commands (incident, oncall, kpis) share around it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import typer
from pydantic import ValidationError

from opsteam.domain.errors import OpsteamError, describe_validation_error
from opsteam.interfaces.cli.invocation import Invocation

log = logging.getLogger("opsteam")


@contextmanager
def guarded(invocation: Invocation, as_json: bool = False) -> Iterator[None]:
    """Known errors become their lines and exit code; nothing else leaks, not even a traceback.

    Exit codes: 2 bad input (nothing changed), 1 failure, 130 interrupted.
    """
    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except OpsteamError as exc:
        invocation.output.error(exc.lines(), as_json=as_json)
        raise typer.Exit(exc.exit_code) from None
    except ValidationError as exc:
        invocation.output.error(describe_validation_error(exc), as_json=as_json)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        invocation.output.error(["interrupted"], as_json=as_json)
        raise typer.Exit(130) from None
    except Exception as exc:
        if invocation.settings.debug:
            raise
        log.debug("internal error", exc_info=True)
        invocation.output.error([f"internal error: {type(exc).__name__}: {exc}"], as_json=as_json)
        raise typer.Exit(1) from None


EXIT_WAITING = 3  # a human decision is pending


def parse_now(text: str | None, field: str = "now") -> datetime:
    """``--now``/``--at`` as given (no zone: UTC), else the current time."""
    from opsteam.domain.incidents import parse_time

    return parse_time(text, field, default=datetime.now(UTC))


def run_action(invocation: Invocation, action: Callable[[], int], *, as_json: bool) -> None:
    """Run a command through the shared error handler; a non-zero return is the exit code."""
    with guarded(invocation, as_json):
        code = action()
    if code:
        raise typer.Exit(code)
