"""Run every benchmark side by side and write BENCHMARKS.md.

    make bench                        # full run (about 10-15 minutes on 2 cores)
    make bench-quick                  # smoke run: every section, few repetitions
    .venv/bin/python bench/run.py --quick --out /tmp/bench.md --no-postgres

PostgreSQL: ``--postgres URL`` (default ``$OPSTEAM_BENCH_POSTGRES_URL``, else the local server
at postgresql://postgres@127.0.0.1:5432/test); each part runs in its own schema, dropped after.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.report import Section, render  # noqa: E402
from bench.targets import targets  # noqa: E402

if TYPE_CHECKING:
    from bench.workload import Workload

T = TypeVar("T")
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
FLOW = ("latency", "requests", "footprint")  # what --only can name


@dataclass(frozen=True)
class Plan:
    """How many repetitions each section gets."""

    name: str
    rounds: int  # per-request latency: interleaved rounds, after `warmup` untimed runs
    warmup: int
    requests: int  # many requests end to end, alternating in chunks
    chunk: int
    cold_rounds: int  # new processes per command, after `cold_warmup` untimed ones
    cold_warmup: int
    memory_requests: int
    memory_repeats: int
    validator_rounds: int
    bundles: tuple[str, ...]


FULL = Plan(
    "full",
    rounds=15,
    warmup=2,
    requests=1000,
    chunk=50,
    cold_rounds=10,
    cold_warmup=1,
    memory_requests=100,
    memory_repeats=3,
    validator_rounds=2,
    bundles=("batch-workers-vm.yaml", "web-service-k8s.yaml"),
)
QUICK = Plan(
    "quick",
    rounds=2,
    warmup=1,
    requests=10,
    chunk=5,
    cold_rounds=1,
    cold_warmup=0,
    memory_requests=10,
    memory_repeats=1,
    validator_rounds=1,
    bundles=("s3-backup-bucket.yaml",),
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: few repetitions")
    parser.add_argument(
        "--out",
        type=Path,
        help="report path (default: BENCHMARKS.md; quick: out/BENCHMARKS-quick.md)",
    )
    parser.add_argument("--postgres", help="PostgreSQL URL for the PostgresSaver parts")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--no-validators", action="store_true", help="skip the real validators")
    parser.add_argument(
        "--requests",
        type=int,
        help="how many requests the many-requests section runs (default: the plan's)",
    )
    parser.add_argument(
        "--only",
        help="comma-separated sections to run (latency, requests, footprint); default: all",
    )
    return parser.parse_args(argv)


def flow_sections(plan: Plan, work: Workload, wanted: set[str]) -> list[Section]:
    """Only the named request-flow sections (per-request latency, many requests, footprint)."""
    from bench.latency import latency
    from bench.storage import storage
    from bench.throughput import throughput

    unknown = wanted - set(FLOW)
    if unknown:
        raise SystemExit(f"error: --only: unknown section(s) {', '.join(sorted(unknown))}")
    found = []
    if "latency" in wanted:
        found.append(
            step(
                "per-request latency",
                lambda: latency(work, rounds=plan.rounds, warmup=plan.warmup)[0],
            )
        )
    if "requests" in wanted:
        found.append(
            step(
                f"{plan.requests} requests",
                lambda: throughput(work, count=plan.requests, chunk=plan.chunk)[0],
            )
        )
    if "footprint" in wanted:
        found.append(step("checkpoint footprint", lambda: storage(work)))
    return found


def step(title: str, action: Callable[[], T]) -> T:
    """Run one section, saying on stderr what runs and how long it took."""
    sys.stderr.write(f"bench: {title}...\n")
    began = time.perf_counter()
    result = action()
    sys.stderr.write(f"bench: {title} done in {time.perf_counter() - began:.0f} s\n")
    return result


def postgres_url(args: argparse.Namespace) -> str | None:
    """The server to use, or None when skipped; an unreachable server stops the run."""
    from bench.workload import postgres_reachable

    if args.no_postgres:
        return None
    url = args.postgres or os.environ.get("OPSTEAM_BENCH_POSTGRES_URL") or LOCAL_POSTGRES
    why = postgres_reachable(url)
    if why is not None:
        raise SystemExit(
            f"error: PostgreSQL at {url} is not reachable ({why}); "
            "pass --postgres URL or --no-postgres"
        )
    return url


def sections(plan: Plan, work: Workload, skip_validators: bool) -> list[Section]:
    from bench.coldstart import cold_home, cold_start, status_scaling
    from bench.latency import latency
    from bench.memory import memory
    from bench.storage import storage
    from bench.throughput import throughput
    from bench.validators import validator_cost
    from bench.workload import PROD

    lat, kept = step(
        "per-request latency", lambda: latency(work, rounds=plan.rounds, warmup=plan.warmup)
    )
    bulk, many = step(
        f"{plan.requests} requests", lambda: throughput(work, count=plan.requests, chunk=plan.chunk)
    )
    found = [lat, bulk, step("checkpoint footprint", lambda: storage(work))]
    found.append(
        step("status scaling", lambda: status_scaling(work, many, rounds=plan.cold_rounds))
    )
    home = cold_home(work)
    found.append(
        step(
            "cold start",
            lambda: cold_start(work, home, rounds=plan.cold_rounds, warmup=plan.cold_warmup),
        )
    )
    found.append(
        step(
            "peak memory",
            lambda: memory(work, home, count=plan.memory_requests, repeats=plan.memory_repeats),
        )
    )
    if not skip_validators:
        baseline = kept[f"{PROD}/sqlite/service"]
        found.append(
            step(
                "validators",
                lambda: validator_cost(
                    work, baseline, bundles=plan.bundles, rounds=plan.validator_rounds
                ),
            )
        )
    return found


def where(url: str) -> str:
    """Host, port and database of a URL, never its credentials."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 5432}{parts.path}"


def header(plan: Plan, postgres: str | None, elapsed: float) -> list[str]:
    command = "make bench" if plan.name == "full" else "make bench-quick"
    cores, memory = os.cpu_count(), os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    packages = ", ".join(
        f"{p} {version(p)}"
        for p in ("langgraph", "langgraph-checkpoint-sqlite", "langgraph-checkpoint-postgres")
    )
    return [
        "# Benchmarks",
        "",
        "opsteam side by side with a bare LangGraph graph of the same shape (bench/bare.py: the",
        "same node names, edges, `Send` fan-out and interrupts as graphs/request.py, every node a",
        "no-op), on the same checkpointer, in one run. Every figure is a median over interleaved",
        "rounds after a warm-up, reported as a ratio to a baseline measured in the same run.",
        "Speed and memory are measured here, never asserted in tests.",
        "",
        f"Reproduce: `{command}` (`.venv/bin/python bench/run.py"
        f"{' --quick' if plan.name == 'quick' else ''}`).",
        "",
        f"Run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {plan.name} mode, {elapsed / 60:.1f} min; "
        f"{platform.machine()}, {cores} cores, {memory / 2**30:.0f} GiB, Python "
        f"{platform.python_version()}, {packages}; PostgreSQL: "
        f"{where(postgres) if postgres else 'not measured (--no-postgres)'}. "
        "The machine is shared: absolute times move between runs, ratios much less "
        f"(1-minute load average at the end of this run: {os.getloadavg()[0]:.1f} on {cores} "
        "cores).",
    ]


def main(argv: list[str] | None = None) -> int:
    # A stopped run still drops its PostgreSQL schemas and scratch directory.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    args = parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.requests:
        plan = replace(plan, requests=args.requests)
    out = args.out or ROOT / ("out/BENCHMARKS-quick.md" if args.quick else "BENCHMARKS.md")
    for key in [k for k in os.environ if k.startswith("OPSTEAM_") and "BENCH" not in k]:
        del os.environ[key]  # the user's own data home or database must not leak in
    postgres = postgres_url(args)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="opsteam-bench-") as scratch:
        from bench.workload import prepare

        work = step("routes of the examples", lambda: prepare(Path(scratch), postgres))
        if args.only:
            found = flow_sections(plan, work, set(args.only.split(",")))
        else:
            found = sections(plan, work, args.no_validators)
    text = render(header(plan, postgres, time.perf_counter() - began), targets(found), found, [])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    sys.stderr.write(f"bench: wrote {out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
