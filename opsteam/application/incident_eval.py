"""The incident eval: labelled incidents, as on-call saw them at open time, triaged and scored.

Each case holds the report (with its alert payload) and what the postmortem found: the
owner (a role, or ``owning-team`` for a fault in application code) and the severity. Triage
never sees the root cause. Scoring is pure; only :func:`load_cases` reads files.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from opsteam.agents.sre.triage import assess
from opsteam.domain.alerts import parse_alerts
from opsteam.domain.errors import InputError, describe_validation_error
from opsteam.domain.incidents import IncidentReport
from opsteam.domain.registry import Registry
from opsteam.domain.severity import Severity
from opsteam.domain.triage import OwnerKey

DEFAULT_DIR = Path("evals/incidents")
MAX_FILE_BYTES = 2_000_000


@dataclass(frozen=True)
class Targets:
    """What the team must reach (issue 15): owner >= 90%, severity >= 85%, no P1 below P2."""

    owner: float = 0.90
    severity: float = 0.85
    p1_below_p2: int = 0


class Expected(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    owner: OwnerKey
    severity: Severity


class EvalCase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,79}$")
    root_cause: str = Field(min_length=1)  # what really happened; triage never reads it
    expected: Expected
    report: IncidentReport


class _CaseFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    cases: list[EvalCase] = Field(min_length=1)


@dataclass(frozen=True)
class CaseResult:
    id: str
    file: str
    expected_owner: str
    owner: str
    expected_severity: Severity
    severity: Severity
    owner_evidence: tuple[str, ...]
    severity_reason: str

    @property
    def owner_ok(self) -> bool:
        return self.owner == self.expected_owner

    @property
    def severity_ok(self) -> bool:
        return self.severity is self.expected_severity

    @property
    def p1_below_p2(self) -> bool:
        return self.expected_severity is Severity.P1 and self.severity.rank > 2


@dataclass(frozen=True)
class OwnerScore:
    """Per owner: hit (expected and chosen), missed (expected, not chosen), false trigger."""

    owner: str
    hit: int
    missed: int
    false_trigger: int


@dataclass(frozen=True)
class EvalReport:
    results: tuple[CaseResult, ...]
    targets: Targets

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def owner_accuracy(self) -> float:
        return sum(r.owner_ok for r in self.results) / self.total

    @property
    def severity_accuracy(self) -> float:
        return sum(r.severity_ok for r in self.results) / self.total

    @property
    def p1_below_p2(self) -> int:
        return sum(r.p1_below_p2 for r in self.results)

    @property
    def missed_targets(self) -> list[str]:
        t, misses = self.targets, []
        if self.owner_accuracy < t.owner:
            misses.append(f"owner right for {self.owner_accuracy:.1%} (target {t.owner:.0%})")
        if self.severity_accuracy < t.severity:
            misses.append(
                f"severity right for {self.severity_accuracy:.1%} (target {t.severity:.0%})"
            )
        if self.p1_below_p2 > t.p1_below_p2:
            misses.append(f"{self.p1_below_p2} P1 incident(s) rated below P2 (target none)")
        return misses

    @property
    def passed(self) -> bool:
        return not self.missed_targets

    def by_owner(self) -> list[OwnerScore]:
        expected = Counter(r.expected_owner for r in self.results)
        chosen = Counter(r.owner for r in self.results)
        hits = Counter(r.owner for r in self.results if r.owner_ok)
        owners = sorted(set(expected) | set(chosen))
        return [OwnerScore(o, hits[o], expected[o] - hits[o], chosen[o] - hits[o]) for o in owners]


def run_case(case: EvalCase, registry: Registry, file: str = "") -> CaseResult:
    """Triage one case exactly as ``incident open`` would, from the report and its alerts."""
    found = assess(case.report, registry, parse_alerts(case.report.alert))
    return CaseResult(
        id=case.id,
        file=file,
        expected_owner=case.expected.owner,
        owner=found.owner,
        expected_severity=case.expected.severity,
        severity=found.severity,
        owner_evidence=found.evidence,
        severity_reason=found.severity_reason,
    )


def run_eval(
    cases: Sequence[tuple[str, EvalCase]], registry: Registry, targets: Targets | None = None
) -> EvalReport:
    """Score every (file, case) pair against the targets."""
    if not cases:
        raise InputError("eval: no cases to run")
    results = tuple(run_case(case, registry, file) for file, case in cases)
    return EvalReport(results, targets or Targets())


def _read(path: Path) -> Any:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(f"eval: {path} is larger than {MAX_FILE_BYTES} bytes")
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"eval: cannot read {path} ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InputError(f"eval: {path} is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"eval: malformed YAML in {path}{where}") from None


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        if not found:
            raise InputError(f"eval: no .yaml case files in {path}")
        return found
    if not path.exists():
        raise InputError(f"eval: {path} not found (give a case file or directory)")
    return [path]


def load_cases(path: Path) -> list[tuple[str, EvalCase]]:
    """Every case of a file or of a directory's YAML files; all problems before any run."""
    loaded: list[tuple[str, EvalCase]] = []
    problems: list[str] = []
    for file in _files(path):
        try:
            loaded += [(file.name, c) for c in _CaseFile.model_validate(_read(file)).cases]
        except ValidationError as exc:
            problems += describe_validation_error(exc, prefix=f"{file}: ")
    counts = Counter(case.id for _, case in loaded)
    problems += [f"eval: case id {i!r} is used {n} times" for i, n in counts.items() if n > 1]
    if problems:
        raise InputError(problems[0], problems)
    return loaded
