"""Benchmarks: request-graph latency, validation cost and memory. Run: `make bench`.

Numbers go to BENCHMARKS.md by hand, with the machine they came from; tests never time.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from opsteam.application.service import Opsteam, real_verifier  # noqa: E402
from opsteam.domain.models import Artifact, ChangeRequest, ValidationResult  # noqa: E402
from opsteam.intake import parse_requests  # noqa: E402
from tests.fakes import ParseOnlyVerifier  # noqa: E402

Verifier = Callable[[Sequence[Artifact]], list[ValidationResult]]


def load(name: str) -> ChangeRequest:
    return parse_requests((ROOT / "examples" / name).read_bytes())[0]


def run_to_end(team: Opsteam, request: ChangeRequest) -> None:
    [result] = team.submit([request])
    while result.pending:
        result = team.decide(result.thread_id, "approve", all_pending=True)
    assert result.status in ("completed", "redirected"), result.error


def timed(label: str, rounds: int, verifier: Verifier, names: list[str]) -> None:
    requests = [load(n) for n in names]
    samples = []
    with tempfile.TemporaryDirectory() as home:
        team = Opsteam(home=home, verifier=verifier)
        run_to_end(team, requests[0])  # warm imports and templates
        for _ in range(rounds):
            for request in requests:
                start = time.perf_counter()
                run_to_end(team, request)
                samples.append((time.perf_counter() - start) * 1000)
    print(
        f"{label:<44} n={len(samples):<4} median={statistics.median(samples):8.1f} ms  "
        f"p90={statistics.quantiles(samples, n=10)[-1]:8.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--real", action="store_true", help="also time the real validators")
    args = parser.parse_args()
    every = sorted(p.name for p in (ROOT / "examples").glob("*.yaml"))
    timed(
        "dev request, offline roles, SQLite",
        args.rounds,
        ParseOnlyVerifier(),
        ["redis-cache-dev.yaml"],
    )
    timed(
        "prod request, approved at 2 checkpoints",
        args.rounds,
        ParseOnlyVerifier(),
        ["prod-postgres-ha.yaml"],
    )
    timed("all examples, offline roles", args.rounds, ParseOnlyVerifier(), every)
    if args.real:
        timed(
            "prod request with real validators",
            1,
            real_verifier,
            ["prod-postgres-ha.yaml", "web-service-k8s.yaml"],
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak resident memory':<44} {peak:.0f} MiB")


if __name__ == "__main__":
    main()
