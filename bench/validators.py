"""The cost of each real validator on a bundle, next to opsteam's offline request.

Per-validator times come from running the bundle's validators one at a time through a runner
that times each external command; the in-process checks (hcl2, YAML, JSON) are the rest.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from bench.report import Row, Section
from bench.stats import Timing, interleaved, ratio, seconds
from bench.workload import Workload, run_service
from opsteam.application.bundle import write_files
from opsteam.application.service import real_verifier
from opsteam.domain.models import Artifact
from opsteam.domain.redaction import Redactor
from opsteam.tools import validators
from opsteam.tools.runner import CommandResult, SubprocessRunner
from tests.fakes import ParseOnlyVerifier

PROGRAMS = {
    "ansible-playbook": "ansible-syntax (ansible-playbook --syntax-check)",
    "ansible-lint": "ansible-lint",
    "kubernetes-validate": "kubernetes-validate",
    "promtool": "promtool check rules",
    "amtool": "amtool check-config",
}


def label(argv: Sequence[str]) -> str:
    name = Path(argv[0]).name
    if name == "checkov" and "--framework" in argv:
        return f"checkov ({argv[list(argv).index('--framework') + 1]})"
    return PROGRAMS.get(name, name)


class TimingRunner:
    """The real runner, timing every command it runs (thread-safe, like the runner)."""

    def __init__(self) -> None:
        self.inner = SubprocessRunner()
        self.times: dict[str, float] = defaultdict(float)
        self.lock = threading.Lock()

    def which(self, program: str) -> str | None:
        return self.inner.which(program)

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        timeout: float,
        env: Mapping[str, str] | None = None,
    ) -> CommandResult:
        began = time.perf_counter()
        try:
            return self.inner.run(argv, cwd=cwd, timeout=timeout, env=env)
        finally:
            with self.lock:
                self.times[label(argv)] += time.perf_counter() - began


@contextmanager
def one_at_a_time() -> Iterator[None]:
    saved = validators.MAX_PARALLEL
    validators.MAX_PARALLEL = 1
    try:
        yield
    finally:
        validators.MAX_PARALLEL = saved


def bundle(work: Workload, name: str) -> tuple[list[Artifact], Path]:
    team = work.team(work.home(f"validators-{name}"))
    result = run_service(team, work.requests[name])
    artifacts = team.state(result.thread_id).all_artifacts()
    where = work.home(f"bundle-{name}")
    write_files(where, artifacts, Redactor({}))
    return artifacts, where


def per_validator(artifacts: list[Artifact], where: Path, rounds: int) -> dict[str, list[float]]:
    """Seconds per bundle of each external validator and of the in-process checks."""
    found: dict[str, list[float]] = defaultdict(list)
    missing: set[str] = set()
    with one_at_a_time():
        for _ in range(rounds):
            runner = TimingRunner()
            began = time.perf_counter()
            results = validators.validate_bundle(where, artifacts, runner=runner)
            total = time.perf_counter() - began
            for key, value in runner.times.items():
                found[key].append(value)
            found["in-process checks (hcl2, YAML, JSON)"].append(total - sum(runner.times.values()))
            missing |= {r.validator for r in results if r.status == "not-installed"}
    found.update({f"{m} (not installed)": [] for m in sorted(missing)})
    return found


def validator_cost(
    work: Workload, baseline: Timing, *, bundles: Sequence[str], rounds: int
) -> Section:
    section = Section(
        "Cost of each validator, per bundle",
        f"opsteam's offline prod request through the service on SQLite, measured above "
        f"({seconds(baseline.median)})",
    )
    for name in bundles:
        artifacts, where = bundle(work, name)
        for key, values in per_validator(artifacts, where, rounds).items():
            if not values:
                section.add(Row(f"{name}: {key}", "-", seconds(baseline.median), None))
                continue
            cost = statistics.median(values)
            section.add(
                Row(
                    f"{name}: {key}",
                    seconds(cost),
                    seconds(baseline.median),
                    ratio(cost, baseline.median),
                    f"n={len(values)}",
                )
            )
        whole = interleaved({"real": partial(real_verifier, artifacts)}, rounds=rounds, warmup=0)
        fake = interleaved({"fake": partial(ParseOnlyVerifier(), artifacts)}, rounds=20, warmup=2)
        whole_timing, fake_timing = whole["real"], fake["fake"]
        for what, timing in (
            ("all validators in parallel (what a request pays)", whole_timing),
            ("parse-only fake verifier (used by the other sections)", fake_timing),
        ):
            section.add(
                Row(
                    f"{name}: {what}",
                    seconds(timing.median),
                    seconds(baseline.median),
                    ratio(timing.median, baseline.median),
                    f"n={len(timing.samples)}",
                )
            )
    section.notes.append(
        "Per-validator rows run the bundle's validators one at a time (the request runs them "
        f"{validators.MAX_PARALLEL} at a time); checkov runs offline with --skip-download."
    )
    return section
