"""The lean-runs targets (issue 14), checked against the figures this run measured."""

from __future__ import annotations

from collections.abc import Sequence

from bench.report import Section, Target
from bench.stats import size


def _ratios(figures: dict[str, float], keys: Sequence[tuple[str, str]], limit: float) -> Target:
    found = [(label, figures[key]) for label, key in keys if key in figures]
    measured = ", ".join(f"{label} {value:.2f}x" for label, value in found) or "-"
    met = all(value <= limit for _, value in found) if found else None
    return Target("", f"<= {limit:g}x", measured, met)


def _named(target: Target, what: str, limit: str | None = None) -> Target:
    return Target(what, limit or target.limit, target.measured, target.met)


def targets(sections: Sequence[Section]) -> list[Target]:
    figures: dict[str, float] = {}
    for section in sections:
        figures.update(section.figures)
    paused = figures.get("paused-bytes:sqlite")
    return [
        _named(
            _ratios(figures, [("dev", "latency:dev:sqlite"), ("prod", "latency:prod:sqlite")], 1.5),
            "team flow per request vs the bare graph (SQLite, through the service)",
        ),
        _named(
            _ratios(figures, [("SQLite", "bulk:sqlite"), ("PostgreSQL", "bulk:postgres")], 1.5),
            "many requests end to end vs the bare graph",
        ),
        Target(
            "checkpoint of a paused production request (SQLite, largest pause; "
            "rows + state values by hash, artifact texts apart)",
            "<= 64 KB",
            size(paused) if paused is not None else "-",
            paused <= 64 * 1024 if paused is not None else None,
        ),
        _named(
            _ratios(figures, [("SQLite", "growth:sqlite"), ("PostgreSQL", "growth:postgres")], 2),
            "database growth per request vs the bare graph",
        ),
        _named(
            _ratios(figures, [("new process", "status:cold")], 1.1),
            "`status` with many stored requests vs with one",
        ),
        _named(
            _ratios(
                figures,
                [(c, f"cold:{c}") for c in ("--help", "roster", "status")],
                3,
            ),
            '`--help`, `roster`, `status` vs `python -c "import pydantic, yaml"`',
        ),
        _named(
            _ratios(figures, [("approve", "cold:approve")], 1.2),
            '`approve` from a new process vs `python -c "import langgraph.graph"`',
        ),
    ]
