"""Cold start: each command from a new process, against importing its libraries alone.

Part of ``bench/run.py``; alone (no PostgreSQL needed), printing its section and targets:

    .venv/bin/python -m bench.coldstart --rounds 10 [--status 1000]
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from bench.report import Row, Section
from bench.stats import Timing, interleaved, ratio, seconds, spread
from bench.workload import DEV, PROD, Workload, run_service

OPSTEAM = str(Path(sys.executable).with_name("opsteam"))
EMPTY = 'python -c "pass"'
PYDANTIC_YAML = 'python -c "import pydantic, yaml"'
LANGGRAPH = 'python -c "import langgraph.graph"'
BASELINES = {
    EMPTY: "pass",
    PYDANTIC_YAML: "import pydantic, yaml",
    LANGGRAPH: "import langgraph.graph",
}
NO_GRAPH = ("--help", "--version", "roster", "oncall", "kpis", "status")
# Prefix of a probed run: report the peak memory at exit (see bench/peak.py).
PROBE = "from bench.peak import report_at_exit; report_at_exit()\n"
CLI = (
    "import sys\nsys.argv = ['opsteam', *sys.argv[1:]]\n"
    "from opsteam.interfaces.cli.app import main\nmain()\n"
)


@dataclass(frozen=True)
class Command:
    """A command to start again and again: opsteam arguments, or a baseline's Python code."""

    label: str
    args: Callable[[], list[str]]  # fresh per run (each approve decides another request)
    code: str = ""

    def argv(self) -> list[str]:
        return [sys.executable, "-c", self.code] if self.code else [OPSTEAM, *self.args()]

    def probed(self) -> list[str]:
        """The same work under the memory probe."""
        if self.code:
            return [sys.executable, "-c", PROBE + self.code]
        return [sys.executable, "-c", PROBE + CLI, *self.args()]


def cli_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSTEAM_")}
    env.update(OPSTEAM_HOME=str(home), OPSTEAM_USER="bench", OPSTEAM_QUIET="1", NO_COLOR="1")
    return env


def run_process(argv: list[str], env: dict[str, str]) -> str:
    """Run to the end; its stderr, or the run stops when the command fails."""
    with tempfile.TemporaryFile() as err:
        code = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=err, env=env).returncode
        err.seek(0)
        text = err.read().decode(errors="replace")
    if code != 0:
        raise SystemExit(f"bench: {' '.join(argv[:4])} exited {code}: {text.strip()[-500:]}")
    return text


def start(command: Command, env: dict[str, str], cpu: list[float] | None = None) -> str:
    """Run the command; ``cpu`` gets the child's CPU seconds (user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    text = run_process(command.argv(), env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu is not None:
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return text


def cpu_note(cpu: dict[str, list[float]], rounds: int) -> str:
    """The same comparison in CPU time, which other work on a shared machine barely moves."""
    median = {label: statistics.median(times[-rounds:]) for label, times in cpu.items()}
    light, heavy = median[PYDANTIC_YAML], median[LANGGRAPH]
    shown = [
        f"{label.removeprefix('opsteam ')} {value / (heavy if 'approve' in label else light):.2f}x"
        for label, value in median.items()
        if label not in BASELINES
    ]
    return (
        "CPU time of each process (user + system, median of the same runs), as ratios to the "
        f"same baselines ({seconds(light)} and {seconds(heavy)}): " + ", ".join(shown) + "."
    )


def paused_at_last_checkpoint(work: Workload, home: Path, count: int) -> list[str]:
    """Production requests approved up to the production-change checkpoint."""
    team, threads = work.team(home), []
    for _ in range(count):
        [result] = team.submit([work.requests[PROD]])
        while result.pending and result.pending[0].id != "production-change":
            result = team.decide(result.thread_id, "approve", all_pending=True, by="bench")
        threads.append(result.thread_id)
    return threads


def commands(work: Workload, home: Path, runs: int) -> list[Command]:
    """Baselines and commands; ``runs`` paused requests are prepared for ``approve``, one more
    for ``show``."""
    threads = paused_at_last_checkpoint(work, home, runs + 1)
    shown = threads.pop(0)  # `show` lists the files of one paused at its last checkpoint
    found = [Command(label, list, code) for label, code in BASELINES.items()]
    found += [Command(f"opsteam {c}", partial(list, [c])) for c in NO_GRAPH]
    found.append(Command("opsteam show THREAD", partial(list, ["show", shown])))
    found.append(Command("opsteam approve", lambda: ["approve", threads.pop(), "--all"]))
    return found


def cold_home(work: Workload) -> Path:
    """A data home with one finished request (more are paused in it as runs need them)."""
    home = work.home("cold")
    run_service(work.team(home), work.requests[DEV])
    return home


def cold_start(work: Workload, home: Path, *, rounds: int, warmup: int) -> Section:
    env = cli_env(home)
    found = commands(work, home, rounds + warmup)
    cpu: dict[str, list[float]] = {c.label: [] for c in found}
    runs: dict[str, Callable[[], object]] = {
        c.label: partial(start, c, env, cpu[c.label]) for c in found
    }
    timings = interleaved(runs, rounds=rounds, warmup=warmup)
    section = Section(
        f"Cold start from a new process (median of {rounds}, interquartile range)",
        f"`{PYDANTIC_YAML}` for commands that run no graph; `{LANGGRAPH}` for `approve`, "
        "which resumes a paused production request from a new process",
    )
    light, heavy = timings[PYDANTIC_YAML], timings[LANGGRAPH]
    for label, timing in timings.items():
        if label in BASELINES:
            continue
        base, other = (heavy, light) if label == "opsteam approve" else (light, heavy)
        row = Row(
            label,
            spread(timing),
            spread(base),
            ratio(timing.median, base.median),
            f"{timing.median / other.median:.2f}x the other baseline",
        )
        section.add(row, f"cold:{label.removeprefix('opsteam ')}")
    section.notes += [
        f"An empty interpreter (`{EMPTY}`) takes {spread(timings[EMPTY])}; `{LANGGRAPH}` "
        f"takes {spread(heavy)}.",
        "`approve` finishes a request paused at the production-change checkpoint (no validator "
        "runs after that checkpoint); `show THREAD` lists the files of another paused there. "
        "The data home holds the paused requests and one finished.",
        cpu_note(cpu, rounds),
    ]
    return section


def status_scaling(work: Workload, many: Path, *, rounds: int) -> Section:
    """`status` over a home with one request against the home holding the bulk run."""
    from opsteam.application.listing import recent_threads

    one = work.home("status-one")
    run_service(work.team(one), work.requests[DEV])
    stored = len(recent_threads(many, limit=1_000_000))
    envs = {str(home): cli_env(home) for home in (one, many)}
    status = Command("opsteam status", partial(list, ["status"]))
    cpu: dict[str, list[float]] = {key: [] for key in envs}
    cold: dict[str, Callable[[], object]] = {
        key: partial(start, status, env, cpu[key]) for key, env in envs.items()
    }
    cold_timings = interleaved(cold, rounds=rounds, warmup=1)
    listings: dict[str, Callable[[], object]] = {
        str(home): partial(recent_threads, home) for home in (one, many)
    }
    warm = interleaved(listings, rounds=rounds * 5, warmup=2)
    section = Section(
        f"`status` with {stored} stored requests",
        "the same command over a data home holding one request",
    )
    for how, timings in (
        ("`opsteam status`, new process", cold_timings),
        ("listing in-process", warm),
    ):
        small: Timing = timings[str(one)]
        large: Timing = timings[str(many)]
        row = Row(how, spread(large), spread(small), ratio(large.median, small.median))
        section.add(row, "status:cold" if "new process" in how else "status:warm")
    small_cpu, large_cpu = (statistics.median(cpu[str(h)][-rounds:]) for h in (one, many))
    section.notes += [
        "`status` lists the 50 most recent requests from the history index.",
        f"CPU time of the same runs (user + system, median): {seconds(large_cpu)} with "
        f"{stored} requests, {seconds(small_cpu)} with one: "
        f"{large_cpu / small_cpu:.2f}x (other work on a shared machine moves wall time more).",
    ]
    return section


def many_home(work: Workload, count: int) -> Path:
    """A data home holding ``count`` requests of the examples' mix, run through the service."""
    home = work.home("status-many")
    team = work.team(home)
    for name in work.mix(count):
        run_service(team, work.requests[name])
    return home


def main(argv: list[str] | None = None) -> int:
    """Run the cold start section alone and print it as BENCHMARKS.md writes it."""
    import argparse
    from datetime import UTC, datetime

    from bench.report import render
    from bench.targets import targets
    from bench.workload import prepare

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--rounds", type=int, default=10, help="timed runs of each command")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs of each first")
    parser.add_argument(
        "--status",
        type=int,
        default=0,
        metavar="N",
        help="also time `status` over a home of N requests (run through the service first)",
    )
    args = parser.parse_args(argv)
    for key in [k for k in os.environ if k.startswith("OPSTEAM_") and "BENCH" not in k]:
        del os.environ[key]  # the user's own data home must not leak in
    with tempfile.TemporaryDirectory(prefix="opsteam-bench-") as scratch:
        work = prepare(Path(scratch), None)
        sections = [cold_start(work, cold_home(work), rounds=args.rounds, warmup=args.warmup)]
        if args.status:
            sections.append(status_scaling(work, many_home(work, args.status), rounds=args.rounds))
    load = os.getloadavg()[0]
    header = [f"Cold start only, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load {load:.1f}"]
    sys.stdout.write(render(header, targets(sections), sections, []))
    return 0


if __name__ == "__main__":
    sys.exit(main())
