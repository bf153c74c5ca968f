"""One role alone, as its own graph: the same nodes as the team's, fewer of them.

intake -> scope -> architect -> [design checkpoints] -> prepare -> <role> <-> verify
-> change-approval gate -> report

Every role needs a design, so the architect still designs and the design's checkpoints are
asked exactly as in the team's flow; a production change passes the same change-approval gate.
What the role depends on is decided, not rendered (``prepare``): the automation engineer codifies
the specialists' decisions, the SRE watches what they decided, and the architect's plan is
assembled from the specialists' and the automation engineer's decisions (design + plan). A
systems administrator, network engineer or database administrator needs only the design. Then
only that role renders its artifacts and only they are verified, so a role alone writes the
same files it writes inside the whole team.
"""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Send

from opsteam.domain.registry import Registry, RoleSlug
from opsteam.graphs import routing
from opsteam.graphs.pause import checkpoint_task
from opsteam.graphs.request import (
    SLOTS,
    Advisor,
    Node,
    Nodes,
    Update,
    Verifier,
    role_context,
    role_module,
)
from opsteam.graphs.state import RequestState, lean
from opsteam.tools.diagrams import DiagramRenderer

ARCHITECT = "infrastructure-architect"
AUTOMATION = "automation-engineer"
# Whose decisions each role reads besides the design (the specialists only when assigned).
DEPENDS_ON: dict[str, tuple[str, ...]] = {
    ARCHITECT: (*routing.SPECIALIST_NODES, AUTOMATION),
    "systems-administrator": (),
    "network-engineer": (),
    "database-administrator": (),
    AUTOMATION: routing.SPECIALIST_NODES,
    "site-reliability-engineer": routing.SPECIALIST_NODES,
}
VERIFY = "verify"


class _RoleNodes:
    """The extra steps a role alone needs: its dependencies' decisions and its summary."""

    def __init__(self, nodes: Nodes, slug: str) -> None:
        self.nodes = nodes
        self.slug = slug
        self.registry = nodes.registry

    def prepare(self, state: RequestState) -> Update:
        """Decide (not render) what the role depends on, as the team's flow would."""
        assert state.design is not None
        wanted = DEPENDS_ON[self.slug]
        assigned = routing.specialists(state.design, self.registry)
        specialists = [s for s in assigned if s in wanted and s != self.slug]
        request = state.current_request
        ctx = role_context(state, self.registry)  # in the team they decide in parallel
        update: Update = {SLOTS[s]: role_module(s).decide(request, ctx) for s in specialists}
        if AUTOMATION in wanted:
            decided = state.model_copy(update=update)
            update[SLOTS[AUTOMATION]] = role_module(AUTOMATION).decide(
                request, role_context(decided, self.registry)
            )
        consulted = [s for s in (*specialists, AUTOMATION) if SLOTS.get(s) in update]
        return {**update, "worked": consulted} if consulted else update

    def report(self, state: RequestState) -> Update:
        update = self.nodes.report(state)
        if state.status in ("rejected", "redirected"):
            return update
        name = self.registry.role(self.slug).name
        others = [self.registry.role(r).name for r in state.worked if r != self.slug]
        used = f"; decisions used from {', '.join(others)}" if others else ""
        summary = (
            f"{name} alone: {len(state.all_artifacts())} artifact(s){used}; "
            f"checks: {routing.tally(state.all_validations())}."
        )
        if update.get("status") == "failed":
            found = routing.failures(state.all_validations())
            summary += f" {len(found)} finding(s) remain after the fix attempts."
        return {**update, "summary": summary}


def _work(nodes: Nodes, slug: str) -> Node:
    """The role's own step: the architect's plan, or the role's decide + render."""
    if slug == ARCHITECT:
        return nodes.plan
    return nodes.role(slug)


def build_role_graph(
    registry: Registry,
    verifier: Verifier,
    slug: RoleSlug,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    renderer: DiagramRenderer | None = None,
    advisor: Advisor | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The graph of ``slug`` working alone (same state, nodes and checkpoints as the team)."""
    nodes = Nodes(registry, verifier, renderer, advisor)
    alone = _RoleNodes(nodes, slug)
    graph: StateGraph[RequestState, None, RequestState, RequestState] = StateGraph(RequestState)
    graph.add_node("intake", lean(nodes.intake))
    graph.add_node("scope", lean(nodes.scope))
    graph.add_node("architect", lean(nodes.architect))
    graph.add_node("checkpoint", lean(nodes.checkpoint))
    graph.add_node("design_review", lean(nodes.design_review))
    graph.add_node("prepare", lean(alone.prepare))
    graph.add_node(slug, lean(_work(nodes, slug)))
    graph.add_node(VERIFY, lean(nodes.verify(slug)))
    graph.add_node("change_gate", lean(nodes.change_gate))
    graph.add_node("report", lean(alone.report))

    def after_scope(state: RequestState) -> str:
        return "report" if state.redirect else "architect"

    def after_design(state: RequestState) -> list[Send] | str:
        assert state.design is not None
        asks = routing.design_checkpoints(state.design)
        if not asks:
            return "prepare"
        return [
            Send("checkpoint", checkpoint_task(state, c.kind, registry, c.reason)) for c in asks
        ]

    def after_review(state: RequestState) -> str:
        if state.review == "rejected":
            return "report"
        return "architect" if state.review in routing.BACK_TO_DESIGN else "prepare"

    def after_verify(state: RequestState) -> str:
        # The plan is assembled, not fixed: only a role that reads findings is retried.
        attempts = state.fix_attempts.get(slug, 0)
        if slug != ARCHITECT and routing.should_retry(state.validations.get(slug, []), attempts):
            return slug
        return "change_gate"

    def after_gate(state: RequestState) -> str:
        return "architect" if state.review == "changes" else "report"

    graph.add_edge(START, "intake")
    graph.add_edge("intake", "scope")
    graph.add_conditional_edges("scope", after_scope, ["architect", "report"])
    graph.add_conditional_edges("architect", after_design, ["checkpoint", "prepare"])
    graph.add_edge("checkpoint", "design_review")
    graph.add_conditional_edges("design_review", after_review, ["report", "architect", "prepare"])
    graph.add_edge("prepare", slug)
    graph.add_edge(slug, VERIFY)
    graph.add_conditional_edges(VERIFY, after_verify, [slug, "change_gate"])
    graph.add_conditional_edges("change_gate", after_gate, ["architect", "report"])
    graph.add_edge("report", END)
    return graph.compile(checkpointer=checkpointer)
