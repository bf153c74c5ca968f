"""Peak resident memory: a process running many requests, and each command."""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

from bench import peak
from bench.coldstart import BASELINES, LANGGRAPH, PYDANTIC_YAML, cli_env, commands, run_process
from bench.report import Row, Section
from bench.stats import ratio, size
from bench.workload import ROOT, Workload, bare_payload


def _child(kind: str, count: int, work: Workload) -> int:
    """Peak memory of a process running ``count`` mixed requests (service or bare graph)."""
    scratch = work.home(f"memory-{kind}")
    payloads = {n: bare_payload(r, work.routes[n]) for n, r in work.requests.items()}
    (scratch / "bare.json").write_text(json.dumps(payloads))
    argv = [sys.executable, "-m", "bench.child", kind, str(count), str(scratch)]
    return peak.read(run_process(argv, probe_env(scratch)))


def probe_env(home: Path) -> dict[str, str]:
    """The commands' environment, with the repository importable for the probe."""
    return {**cli_env(home), "PYTHONPATH": str(ROOT)}


def memory(work: Workload, home: Path, *, count: int, repeats: int) -> Section:
    section = Section(
        "Peak resident memory",
        f"the bare graph on SqliteSaver in its own process for the request run; `{PYDANTIC_YAML}`"
        f" for the commands that run no graph, `{LANGGRAPH}` for `approve`",
    )
    ops, bare = _child("service", count, work), _child("bare", count, work)
    run = Row(
        f"{count} mixed requests, SQLite, one process", size(ops), size(bare), ratio(ops, bare)
    )
    section.add(run)
    env = probe_env(home)
    peaks = {
        c.label: statistics.median(peak.read(run_process(c.probed(), env)) for _ in range(repeats))
        for c in commands(work, home, repeats)
    }
    for label, value in peaks.items():
        if label in BASELINES:
            continue
        base = peaks[LANGGRAPH if label == "opsteam approve" else PYDANTIC_YAML]
        section.add(Row(label, size(value), size(base), ratio(value, base)))
    section.notes.append(
        "VmHWM (peak resident set) of each process, read by the process itself at exit; "
        f"median of {repeats} for the commands. The request run goes through the service with "
        "the parse-only fake verifier."
    )
    return section
