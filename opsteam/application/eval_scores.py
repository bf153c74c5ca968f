"""Scores of the request eval: specialist sets, checkpoints, redirects and parsed fields.

Pure arithmetic over the outcomes :mod:`opsteam.application.request_eval` produced; the
targets are the ones the team must pass in CI (issue 8).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opsteam.application.request_eval import CaseOutcome

SPECIALISTS = ("systems-administrator", "network-engineer", "database-administrator")
KINDS = (
    "architecture-change",
    "external-integration",
    "customer-schema-change",
    "cross-division",
    "production-change",
)


@dataclass(frozen=True)
class Targets:
    specialists_exact: float = 0.95
    checkpoint_recall: float = 1.0
    checkpoint_precision: float = 0.90
    redirects: float = 1.0
    fields: float = 0.95


@dataclass
class Tally:
    """Hit / missed / false trigger for one role or one checkpoint kind."""

    name: str
    hit: int = 0
    missed: int = 0
    false_trigger: int = 0

    def add(self, expected: bool, got: bool) -> None:
        if expected and got:
            self.hit += 1
        elif expected:
            self.missed += 1
        elif got:
            self.false_trigger += 1

    @property
    def recall(self) -> float:
        return self.hit / (self.hit + self.missed) if self.hit + self.missed else 1.0

    @property
    def precision(self) -> float:
        total = self.hit + self.false_trigger
        return self.hit / total if total else 1.0


def _norm(value: Any) -> Any:
    if isinstance(value, list | tuple | set):
        return sorted(str(_norm(v)) for v in value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    text = str(value).strip().lower()
    try:
        return float(text)
    except ValueError:
        return text


def field_matches(expected: Any, got: Any) -> bool:
    if isinstance(expected, dict) and isinstance(got, dict):
        return all(field_matches(v, got.get(k)) for k, v in expected.items())
    return bool(_norm(expected) == _norm(got))


@dataclass
class Score:
    outcomes: list[CaseOutcome]
    targets: Targets
    roles: dict[str, Tally] = field(default_factory=dict)
    kinds: dict[str, Tally] = field(default_factory=dict)
    fields: dict[str, Tally] = field(default_factory=dict)
    exact: int = 0
    routed: int = 0
    redirects_right: int = 0
    failures: list[tuple[CaseOutcome, list[str]]] = field(default_factory=list)

    @property
    def specialists_exact(self) -> float:
        return self.exact / self.routed if self.routed else 1.0

    def _overall(self, tallies: Iterable[Tally]) -> Tally:
        total = Tally("all")
        for t in tallies:
            total.hit += t.hit
            total.missed += t.missed
            total.false_trigger += t.false_trigger
        return total

    @property
    def checkpoint_recall(self) -> float:
        return self._overall(self.kinds.values()).recall

    @property
    def checkpoint_precision(self) -> float:
        return self._overall(self.kinds.values()).precision

    @property
    def redirect_accuracy(self) -> float:
        return self.redirects_right / len(self.outcomes) if self.outcomes else 1.0

    @property
    def field_accuracy(self) -> float:
        return self._overall(self.fields.values()).recall

    @property
    def missed_targets(self) -> list[str]:
        t = self.targets
        checks = [
            ("specialist exact match", self.specialists_exact, t.specialists_exact),
            ("checkpoint recall", self.checkpoint_recall, t.checkpoint_recall),
            ("checkpoint precision", self.checkpoint_precision, t.checkpoint_precision),
            ("redirect accuracy", self.redirect_accuracy, t.redirects),
            ("field accuracy", self.field_accuracy, t.fields),
        ]
        return [
            f"{name} {value:.1%} < {target:.0%}" for name, value, target in checks if value < target
        ]

    @property
    def passed(self) -> bool:
        return not self.missed_targets


def _score_routing(score: Score, out: CaseOutcome, problems: list[str]) -> None:
    expected = out.case.expect
    score.routed += 1
    want, got = set(expected.specialists), set(out.specialists)
    if want == got:
        score.exact += 1
    else:
        problems.append(f"specialists {sorted(got)} (expected {sorted(want)})")
    for role in SPECIALISTS:
        score.roles[role].add(role in want, role in got)
    want_k, got_k = set(expected.checkpoints), set(out.checkpoints)
    for kind in KINDS:
        score.kinds[kind].add(kind in want_k, kind in got_k)
    if want_k != got_k:
        missed, extra = sorted(want_k - got_k), sorted(got_k - want_k)
        problems.append(f"checkpoints missed {missed} extra {extra}".replace(" []", " none"))


def _score_fields(score: Score, out: CaseOutcome, problems: list[str]) -> None:
    expected = out.case.expect
    for name, value in expected.fields.items():
        tally = score.fields.setdefault(name, Tally(name))
        got = out.fields.get(name)
        ok = field_matches(value, got)
        tally.add(True, ok)
        if not ok:
            problems.append(f"field {name}={got!r} (expected {value!r})")
    tally = score.fields.setdefault("missing", Tally("missing"))
    ok = sorted(expected.missing) == sorted(out.missing)
    tally.add(True, ok)
    if not ok:
        problems.append(f"missing {out.missing} (expected {expected.missing})")


def score_cases(outcomes: Sequence[CaseOutcome], targets: Targets) -> Score:
    score = Score(list(outcomes), targets)
    score.roles = {r: Tally(r) for r in SPECIALISTS}
    score.kinds = {k: Tally(k) for k in KINDS}
    for out in outcomes:
        problems: list[str] = list(out.problems) if out.problems and not out.missing else []
        expected = out.case.expect
        if expected.redirect == out.redirect:
            score.redirects_right += 1
        else:
            problems.append(f"redirect {out.redirect!r} (expected {expected.redirect!r})")
        _score_fields(score, out, problems)
        if expected.redirect is None and not expected.missing and out.redirect is None:
            _score_routing(score, out, problems)
        if problems:
            score.failures.append((out, problems))
    return score
