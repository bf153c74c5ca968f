"""Unverified is not verified: ``--strict`` (or ``OPSTEAM_STRICT=1``) fails a run whose
artifacts a missing validator could not check (exit 1); without it the output says which.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from opsteam.application.results import RunResult

StrictOpt = Annotated[
    bool,
    typer.Option(
        "--strict",
        envvar="OPSTEAM_STRICT",
        help="A missing validator is a failure (exit 1), not a note.",
    ),
]

NOT_INSTALLED = "not-installed"


def unverified(result: RunResult) -> list[str]:
    """Paths of artifacts a validator should have checked but was not installed to."""
    return sorted({v.path for v in result.validations if v.status == NOT_INSTALLED})


def strict_problems(results: list[RunResult]) -> list[str]:
    """One line per finished request with unverified artifacts (paused ones go on)."""
    lines = []
    for result in results:
        paths = unverified(result)
        if paths and result.status == "completed":
            lines.append(
                f"{result.thread_id}: {len(paths)} artifact(s) not verified "
                f"(validator not installed): {', '.join(paths)}"
            )
    return lines
