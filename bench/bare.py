"""The baseline: a bare LangGraph graph of the request graph's shape, every node a no-op.

Same node names, the same static edges and branch targets as ``graphs/request.py``, the same
``Send`` fan-out (design checkpoints, then specialists) and interrupts at the same places.
What it does for one request (which specialists, which checkpoints) is the route opsteam took
for that request, read from an opsteam run, so both graphs execute the same steps.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command, Send, interrupt

SPECIALISTS = ("systems-administrator", "network-engineer", "database-administrator")
Graph = CompiledStateGraph[Any, Any, Any, Any]


class Route(TypedDict):
    """The steps one request takes through the request graph."""

    specialists: list[str]  # Send targets after the design
    checkpoints: list[str]  # design checkpoints (Send to "checkpoint", in parallel)
    gate: bool  # the change gate pauses for production approval
    redirect: bool  # scope sends the request straight to the report


class BareState(TypedDict, total=False):
    request: dict[str, Any]
    route: Route
    decisions: Annotated[list[dict[str, Any]], operator.add]


def _noop(state: BareState) -> dict[str, Any]:
    del state
    return {}


def _checkpoint(state: Any) -> dict[str, Any]:
    """Runs once per design checkpoint (a Send): its input is the checkpoint task."""
    return {"decisions": [interrupt(state)]}


def _change_gate(state: BareState) -> dict[str, Any]:
    if not state["route"]["gate"]:
        return {}
    return {"decisions": [interrupt({"checkpoint": "production-change", "round": 1})]}


def _to_specialists(state: BareState) -> list[Send] | str:
    return [Send(s, state) for s in state["route"]["specialists"]] or "automation-engineer"


def _after_design(state: BareState) -> list[Send] | str:
    asks = state["route"]["checkpoints"]
    if not asks:
        return _to_specialists(state)
    return [Send("checkpoint", {"checkpoint": kind, "round": 1}) for kind in asks]


def _after_scope(state: BareState) -> str:
    return "report" if state["route"]["redirect"] else "architect"


def _constant(target: str) -> Any:
    def route(state: BareState) -> str:
        del state
        return target

    return route


def build_bare_graph(checkpointer: BaseCheckpointSaver[Any] | None = None) -> Graph:
    graph: StateGraph[BareState, None, BareState, BareState] = StateGraph(BareState)
    for name in ("intake", "scope", "architect", "design_review", *SPECIALISTS):
        graph.add_node(name, _noop)
    for name in ("automation-engineer", "verify_iac", "plan", "site-reliability-engineer"):
        graph.add_node(name, _noop)
    graph.add_node("verify_ops", _noop)
    graph.add_node("report", _noop)
    graph.add_node("checkpoint", _checkpoint)
    graph.add_node("change_gate", _change_gate)
    graph.add_edge(START, "intake")
    graph.add_edge("intake", "scope")
    graph.add_conditional_edges("scope", _after_scope, ["architect", "report"])
    graph.add_conditional_edges("architect", _after_design)
    graph.add_edge("checkpoint", "design_review")
    graph.add_conditional_edges("design_review", _to_specialists)
    for slug in SPECIALISTS:
        graph.add_edge(slug, "automation-engineer")
    graph.add_edge("automation-engineer", "verify_iac")
    graph.add_conditional_edges(
        "verify_iac",
        _constant("plan"),
        ["automation-engineer", "plan"],
    )
    graph.add_edge("plan", "site-reliability-engineer")
    graph.add_edge("site-reliability-engineer", "verify_ops")
    graph.add_conditional_edges(
        "verify_ops", _constant("change_gate"), ["site-reliability-engineer", "change_gate"]
    )
    graph.add_conditional_edges("change_gate", _constant("report"), ["architect", "report"])
    graph.add_edge("report", END)
    return graph.compile(checkpointer=checkpointer)


def shape(graph: Graph) -> dict[str, Any]:
    """Nodes, static edges and each branch's declared targets: what 'same shape' compares."""
    builder = graph.builder
    branches: dict[str, list[list[str] | None]] = {}
    for source, specs in builder.branches.items():
        branches[source] = [
            sorted(map(str, spec.ends.values())) if spec.ends else None for spec in specs.values()
        ]
    return {"nodes": sorted(builder.nodes), "edges": sorted(builder.edges), "branches": branches}


def check_same_shape(opsteam: Graph, bare: Graph) -> None:
    """Refuse to compare against a baseline that no longer mirrors the request graph."""
    mine, theirs = shape(bare), shape(opsteam)
    if mine != theirs:
        differs = [key for key in mine if mine[key] != theirs[key]]
        raise SystemExit(
            f"bench/bare.py no longer mirrors graphs/request.py ({', '.join(differs)} differ): "
            f"opsteam {theirs}, bare {mine}"
        )


def drive(graph: Graph, thread_id: str, payload: Any, answer: dict[str, Any]) -> int:
    """Run one request to its end, answering every pause; returns the number of pauses.

    The loop any human-in-the-loop application needs: run, read the state once, resume all
    pending interrupts with one command. Both graphs are driven by it.
    """
    config: Any = {"configurable": {"thread_id": thread_id}}
    if graph.checkpointer is None:  # nothing to make durable (LangGraph refuses "sync" here)
        graph.invoke(payload, config)
        return 0
    graph.invoke(payload, config, durability="sync")
    pauses = 0
    while pending := graph.get_state(config).interrupts:
        pauses += 1
        resume: Command[Any] = Command(resume={i.id: answer for i in pending})
        graph.invoke(resume, config, durability="sync")
    return pauses
