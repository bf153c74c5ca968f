"""What a benchmark section reports, and how BENCHMARKS.md is written from it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Row:
    """One comparison: opsteam's figure, the baseline's, and their ratio (None: not comparable)."""

    what: str
    opsteam: str
    baseline: str
    ratio: float | None
    note: str = ""


@dataclass
class Section:
    title: str
    baseline: str  # what the baseline column measures
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    figures: dict[str, float] = field(default_factory=dict)  # named values the targets read

    def add(self, row: Row, figure: str = "") -> None:
        """Add a row; ``figure`` names its ratio for the targets summary."""
        self.rows.append(row)
        if figure and row.ratio is not None:
            self.figures[figure] = row.ratio


@dataclass(frozen=True)
class Target:
    """A target from the lean-runs issue and what this run measured against it."""

    what: str
    limit: str
    measured: str
    met: bool | None  # None: not measured in this run


def ratio_text(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def _section(section: Section) -> list[str]:
    lines = [f"## {section.title}", "", f"Baseline: {section.baseline}.", ""]
    lines += ["| what | opsteam | baseline | ratio | note |", "|---|---|---|---|---|"]
    lines += [
        f"| {r.what} | {r.opsteam} | {r.baseline} | {ratio_text(r.ratio)} | {r.note} |"
        for r in section.rows
    ]
    if section.notes:
        lines += ["", *(f"- {note}" for note in section.notes)]
    return [*lines, ""]


def _targets(targets: list[Target]) -> list[str]:
    marks = {True: "met", False: "**missed**", None: "not measured"}
    lines = ["## Targets (issue 14)", "", "| target | limit | measured | |", "|---|---|---|---|"]
    lines += [f"| {t.what} | {t.limit} | {t.measured} | {marks[t.met]} |" for t in targets]
    return [*lines, ""]


def render(
    header: list[str], targets: list[Target], sections: list[Section], footer: list[str]
) -> str:
    """The whole BENCHMARKS.md: header, targets summary, one table per section, footer."""
    lines = [*header, "", *_targets(targets)]
    for section in sections:
        lines += _section(section)
    return "\n".join([*lines, *footer]).rstrip() + "\n"
