"""A child process for the memory section: run N mixed requests, then exit.

``python -m bench.child service|bare N SCRATCH`` from the repository root; the parent reads the
child's peak resident memory with ``wait4``. The bare child imports LangGraph and nothing of
opsteam: its requests and routes come from ``SCRATCH/bare.json``, written by the parent.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def _mix(names: list[str], count: int) -> list[str]:
    ordered = sorted(names)
    return [ordered[i % len(ordered)] for i in range(count)]


def run_service_child(count: int, scratch: Path) -> None:
    from bench.workload import NoDiagrams, examples, run_service
    from opsteam.application.service import Opsteam
    from tests.fakes import ParseOnlyVerifier

    requests = examples()
    team = Opsteam(home=scratch / "home", verifier=ParseOnlyVerifier(), renderer=NoDiagrams())
    for name in _mix(list(requests), count):
        run_service(team, requests[name])


def run_bare_child(count: int, scratch: Path) -> None:
    from langgraph.checkpoint.sqlite import SqliteSaver

    from bench.bare import build_bare_graph, drive

    payloads: dict[str, Any] = json.loads((scratch / "bare.json").read_text())
    answer = {"verdict": "approve", "by": "bench", "at": datetime.now(UTC).isoformat()}
    conn = sqlite3.connect(scratch / "bare.sqlite", check_same_thread=False)
    try:
        saver = SqliteSaver(conn)
        saver.setup()
        graph = build_bare_graph(saver)
        for name in _mix(list(payloads), count):
            drive(graph, f"chg-{uuid.uuid4().hex[:12]}", payloads[name], {**answer, "reason": ""})
    finally:
        conn.close()


if __name__ == "__main__":
    from bench.peak import report_at_exit

    report_at_exit()
    kind, how_many, where = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    (run_service_child if kind == "service" else run_bare_child)(how_many, where)
