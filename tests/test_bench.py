"""The benchmark harness keeps working: its baseline mirrors the request graph, its timing
loop interleaves, and the quick mode writes a complete report. Nothing here is timed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, TypedDict

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph

from bench.bare import Route, build_bare_graph, check_same_shape, drive
from bench.stats import interleaved
from bench.workload import PROD, prepare
from opsteam.domain.registry import Registry
from opsteam.graphs.request import build_request_graph

ROOT = Path(__file__).resolve().parent.parent
APPROVE = {"verdict": "approve", "by": "t", "at": "2026-12-01T10:00:00+00:00", "reason": ""}


def test_the_bare_baseline_has_the_request_graphs_shape(registry: Registry) -> None:
    check_same_shape(build_request_graph(registry, lambda _: []), build_bare_graph())


class Tiny(TypedDict):
    value: int


def test_a_baseline_of_another_shape_is_refused(registry: Registry) -> None:
    other: StateGraph[Tiny, None, Tiny, Tiny] = StateGraph(Tiny)
    other.add_node("intake", lambda state: {})
    other.add_edge(START, "intake")
    other.add_edge("intake", END)
    with pytest.raises(SystemExit, match="no longer mirrors"):
        check_same_shape(build_request_graph(registry, lambda _: []), other.compile())


def _route(**changes: Any) -> Route:
    route = Route(specialists=["network-engineer"], checkpoints=[], gate=False, redirect=False)
    return Route(**{**route, **changes})  # type: ignore[typeddict-item]


@pytest.mark.parametrize(
    ("route", "pauses"),
    [
        (_route(), 0),
        (_route(gate=True), 1),
        (_route(checkpoints=["architecture-change", "external-integration"], gate=True), 2),
    ],
)
def test_the_bare_graph_pauses_where_its_route_says(route: Route, pauses: int) -> None:
    graph = build_bare_graph(InMemorySaver())
    assert drive(graph, "t-1", {"request": {}, "route": route}, APPROVE) == pauses
    decisions = graph.get_state({"configurable": {"thread_id": "t-1"}}).values["decisions"]
    assert len(decisions) == len(route["checkpoints"]) + route["gate"]


def test_routes_are_read_from_what_opsteam_ran(tmp_path: Path) -> None:
    work = prepare(tmp_path, postgres=None)
    prod = work.routes[PROD]
    assert prod["checkpoints"] == ["architecture-change"] and prod["gate"]
    assert work.routes["ci-pipeline.yaml"]["redirect"]
    assert not work.routes["redis-cache-dev.yaml"]["gate"]


def test_rounds_rotate_the_order_and_warm_up_is_not_recorded() -> None:
    calls: list[str] = []
    timings = interleaved(
        {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, rounds=2, warmup=1
    )
    assert calls == ["a", "b", "a", "b", "b", "a"]
    assert [len(t.samples) for t in timings.values()] == [2, 2]


SECTIONS = (
    "Targets (issue 14)",
    "Per-request latency",
    "requests end to end",
    "Checkpoint footprint",
    "`status` with",
    "Cold start",
    "Peak resident memory",
    "Cost of each validator",
)


@pytest.mark.slow
def test_the_quick_mode_writes_every_section(tmp_path: Path) -> None:
    url = os.environ.get("OPSTEAM_TEST_POSTGRES_URL")
    if not url and os.environ.get("CI"):
        pytest.fail("CI must set OPSTEAM_TEST_POSTGRES_URL: the benchmark smoke run uses it")
    out = tmp_path / "BENCHMARKS.md"
    where = ["--postgres", url] if url else ["--no-postgres"]
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--out", str(out), *where],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = out.read_text()
    titles = [line for line in report.splitlines() if line.startswith("## ")]
    for title in SECTIONS:
        assert any(title in line for line in titles), title
    rows = [line for line in report.splitlines() if line.startswith("| ") and "---" not in line]
    ratios = [line.split("|")[4].strip() for line in rows if line.count("|") == 6]
    assert ratios and all(re.fullmatch(r"\d+\.\d\dx|n/a|ratio", r) for r in ratios)
    assert ("PostgresSaver" in report) == bool(url)
