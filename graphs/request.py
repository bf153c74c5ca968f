"""The infrastructure request graph: flow only.

intake -> scope -> architect -> [design checkpoints] -> specialists (Send, in parallel)
-> automation <-> verify -> SRE <-> verify -> change-approval gate -> report
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from functools import cache
from typing import Any, Protocol

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Send

from opsteam.agents.base import RoleContext
from opsteam.agents.generic.playbooks import playbooks
from opsteam.domain.model_use import ModelUse
from opsteam.domain.models import Artifact, Finding, ValidationResult
from opsteam.domain.redaction import Redactor
from opsteam.domain.registry import Registry
from opsteam.graphs import extra, routing
from opsteam.graphs.feedback import read_feedback
from opsteam.graphs.pause import ask, checkpoint_task, decision_record, rejection_summary
from opsteam.graphs.state import RequestState, lean
from opsteam.tools.diagrams import DiagramRenderer

Verifier = Callable[[Sequence[Artifact]], list[ValidationResult]]
Update = dict[str, Any]


class Node(Protocol):
    def __call__(self, state: RequestState) -> Update: ...


class Advisor(Protocol):
    """A chat model behind the roles (opsteam.agents.llm.advisor); None: the playbooks."""

    def decide(
        self, slug: str, playbook: Any, request: Any, ctx: RoleContext
    ) -> tuple[Any, ModelUse]: ...


# Which state slice each role writes.
SLOTS = {
    "systems-administrator": "servers",
    "network-engineer": "network",
    "database-administrator": "data",
    "automation-engineer": "automation",
    "site-reliability-engineer": "reliability",
}
PLAN_NODE = "plan"
DOWNSTREAM = (*SLOTS, "notifications")


@cache
def _modules() -> dict[str, Any]:
    """The role modules, imported when a role first works: a request resumed past its last
    role (an approval of the production change) never imports them."""
    from opsteam.agents.automation import role as automation
    from opsteam.agents.dba import role as dba
    from opsteam.agents.network import role as network
    from opsteam.agents.sre import role as sre
    from opsteam.agents.sysadmin import role as sysadmin

    return {m.ROLE: m for m in (sysadmin, network, dba, automation, sre)}


def role_module(slug: str) -> Any:
    return _modules()[slug]


def role_context(
    state: RequestState, registry: Registry, findings: Sequence[Finding] = (), attempt: int = 1
) -> RoleContext:
    if state.design is None:  # pragma: no cover - the architect always runs first
        raise RuntimeError("a role ran before the architect's design")
    data = state.data
    return RoleContext(
        registry=registry,
        design=state.design,
        servers=state.servers,
        network=state.network,
        database=data.database if data else None,
        storage=data.storage if data else None,
        automation=state.automation,
        feedback=tuple(state.feedback),
        findings=tuple(findings),
        attempt=attempt,
        inputs=state.inputs,
    )


class Nodes:
    """Thin node functions: read a slice, call the role, return an update."""

    def __init__(
        self,
        registry: Registry,
        verifier: Verifier,
        renderer: DiagramRenderer | None = None,
        advisor: Advisor | None = None,
    ) -> None:
        self.registry = registry
        self.verifier = verifier
        self.renderer = renderer
        self.advisor = advisor
        # Roles added to the roster as data: their playbooks (None: cannot work here).
        self.added = playbooks(registry, advisor is not None)
        self.redactor = Redactor.for_registry(registry)

    def published(self, artifacts: Sequence[Artifact]) -> list[Artifact]:
        """Artifacts as they ship (through the exit), before the state holds them: what an
        Agent Server shows and what the validators check are the files the bundle gets."""
        return [a.model_copy(update={"content": self.redactor.text(a.content)}) for a in artifacts]

    def intake(self, state: RequestState) -> Update:
        return {"status": "running", "summary": f"Received: {state.request.request}"}

    def scope(self, state: RequestState) -> Update:
        from opsteam.intake import scope_redirect  # the words of a new request only

        redirect = scope_redirect(state.request, self.registry)
        if redirect is None:
            return {}
        return {
            "redirect": redirect,
            "status": "redirected",
            "summary": f"Redirected to {redirect.owner}: {redirect.reason}.",
        }

    def architect(self, state: RequestState) -> Update:
        from opsteam.agents.architect import role as architect

        read, model_update = read_feedback(state, self.registry, self.advisor)
        revised, design = architect.revise(
            state.request, tuple(state.feedback), self.registry, read
        )
        assigned = set(routing.specialists(design, self.registry))
        cleared: Update = {SLOTS[s]: None for s in routing.SPECIALIST_NODES if s not in assigned}
        return {
            **cleared,
            "design": design,
            "revised_request": revised if revised != state.request else None,
            "plan": None,
            "review": "",
            "fix_attempts": {},
            # A new round starts clean: what any role wrote in the last one is cleared.
            "added_roles": {r: {} for r in self.added if state.added_roles.get(r)},
            "artifacts": {
                r: [] for r in (architect.ROLE, *DOWNSTREAM, *self.added) if state.artifacts.get(r)
            },
            "validations": {r: [] for r in DOWNSTREAM if state.validations.get(r)},
            "worked": [architect.ROLE],
            **model_update,
        }

    def plan(self, state: RequestState) -> Update:
        """The architect assembles the plan from what the specialists decided."""
        from opsteam.agents.architect import role as architect

        ctx = role_context(state, self.registry)
        today = state.started_on or date.today()
        plan = architect.plan_for(state.current_request, ctx, today)
        artifacts = self.published(architect.render(plan, state.current_request, ctx))
        if self.renderer is not None:  # the picture, when the renderer's tools are installed
            from opsteam.agents.architect import plan as drawing

            svg = self.renderer.render_svg(drawing.diagram_source(plan))
            artifacts += [drawing.diagram_artifact(svg)] if svg else []
        return {"plan": plan, "artifacts": {architect.ROLE: artifacts}}

    def checkpoint(self, state: Any) -> Update:
        """Runs once per pending checkpoint (a Send); its input is the checkpoint task."""
        task: dict[str, Any] = state
        answer = ask(task, cancellable=True)
        if answer.get("cancelled"):
            return {}
        return {"decisions": [decision_record(answer, task["checkpoint"], task["round"])]}

    def design_review(self, state: RequestState) -> Update:
        outcome = routing.review(state.decisions, state.round)
        if outcome == "approved" and state.design is not None:
            # Approval needs every checkpoint decided: a cancelled one alone is asked again.
            if routing.unanswered(state.design, state.decisions, state.round):
                return {"review": "unanswered"}
        return self._apply_review(state, outcome)

    def _apply_review(self, state: RequestState, outcome: routing.Review) -> Update:
        if outcome == "rejected":
            return {"review": outcome, "status": "rejected"}
        if outcome == "changes":
            asks = [
                d.reason
                for d in state.decisions
                if d.round == state.round and d.verdict == "changes"
            ]
            return {
                "review": outcome,
                "round": state.round + 1,
                "feedback": [*state.feedback, *asks],
            }
        return {"review": outcome}

    def role(self, slug: str) -> Node:
        def node(state: RequestState) -> Update:
            module = role_module(slug)
            findings = routing.failures(state.validations.get(slug, []))
            attempt = state.fix_attempts.get(slug, 0) + (1 if findings else 0)
            ctx = role_context(state, self.registry, findings, attempt + 1)
            request = state.current_request
            decision, use = self.decide_with(slug, module, request, ctx)
            update: Update = {
                SLOTS[slug]: decision,
                "artifacts": {slug: self.published(module.render(decision, request, ctx))},
                "worked": [slug],
            }
            if use is not None:
                update["model_use"] = {slug: state.model_use.get(slug, ModelUse()).plus(use)}
            if findings:
                update["fix_attempts"] = {**state.fix_attempts, slug: attempt}
            return update

        node.__name__ = slug.replace("-", "_")
        return node

    def decide_with(
        self, slug: str, module: Any, request: Any, ctx: RoleContext
    ) -> tuple[Any, ModelUse | None]:
        """The playbook decides, or the model proposes and the playbook checks."""
        if self.advisor is None:
            return module.decide(request, ctx), None
        return self.advisor.decide(slug, module, request, ctx)

    def verify(self, slug: str) -> Node:
        def node(state: RequestState) -> Update:
            return {"validations": {slug: self.verifier(state.artifacts.get(slug, []))}}

        return node

    def change_gate(self, state: RequestState) -> Update:
        notices = self._notices(state)
        # The gate sees the notices this step publishes, at the question and at the answer.
        noticed = state.model_copy(
            update={"artifacts": {**state.artifacts, "notifications": notices}}
        )
        checks = routing.change_approval(noticed, self.registry)
        update: Update = {"gate": checks, "artifacts": {"notifications": notices}}
        if not routing.needs_production_approval(state):
            return {**update, "review": "approved"}
        task = checkpoint_task(state, "production-change", self.registry, gate=checks)
        answer = ask(task)
        record = decision_record(answer, "production-change", state.round)
        decided = noticed.model_copy(update={"decisions": [*state.decisions, record]})
        # The window is judged again when the person approves: it must still be ahead.
        at_approval = routing.change_approval(decided, self.registry, at=record.at)
        return {
            **update,
            "gate": at_approval,
            "decisions": [record],
            **self._apply_review(decided, routing.review([record], state.round)),
        }

    def _notices(self, state: RequestState) -> list[Artifact]:
        from opsteam.agents.sre.notify import maintenance_artifact

        notice = maintenance_artifact(state.current_request, state.design, self.registry)
        return self.published([notice]) if notice else []

    def report(self, state: RequestState) -> Update:
        if state.status == "rejected":
            return {"summary": rejection_summary(state, self.registry)}
        if state.status == "redirected":
            return {}
        failed = routing.failures(state.all_validations())
        status = "failed" if failed else "completed"
        names = [self.registry.role(r).name for r in state.worked]
        summary = (
            f"{len(state.all_artifacts())} artifact(s) from {', '.join(names)}; "
            f"checks: {routing.tally(state.all_validations())}."
        )
        if failed:
            summary += f" {len(failed)} finding(s) remain after the team's fix attempts."
        unmet = [f"{g.item} ({g.evidence})" for g in state.gate if not g.passed]
        if unmet:
            summary += " Change gate not met: " + "; ".join(unmet) + "."
        return {"status": status, "summary": summary}


def build_request_graph(
    registry: Registry,
    verifier: Verifier,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    renderer: DiagramRenderer | None = None,
    advisor: Advisor | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    nodes = Nodes(registry, verifier, renderer, advisor)
    graph: StateGraph[RequestState, None, RequestState, RequestState] = StateGraph(RequestState)
    graph.add_node("intake", lean(nodes.intake))
    graph.add_node("scope", lean(nodes.scope))
    graph.add_node("architect", lean(nodes.architect))
    graph.add_node("checkpoint", lean(nodes.checkpoint))
    graph.add_node("design_review", lean(nodes.design_review))
    for slug in (*routing.SPECIALIST_NODES, "automation-engineer", "site-reliability-engineer"):
        graph.add_node(slug, lean(nodes.role(slug)))
    added = tuple(nodes.added)  # roles added as data work beside the specialists
    for slug, playbook in nodes.added.items():
        graph.add_node(slug, lean(extra.node(nodes, slug, playbook)))
    graph.add_node("verify_iac", lean(nodes.verify("automation-engineer")))
    graph.add_node(PLAN_NODE, lean(nodes.plan))
    graph.add_node("verify_ops", lean(nodes.verify("site-reliability-engineer")))
    graph.add_node("change_gate", lean(nodes.change_gate))
    graph.add_node("report", lean(nodes.report))

    def after_scope(state: RequestState) -> str:
        return "report" if state.redirect else "architect"

    def to_specialists(state: RequestState) -> list[Send] | str:
        assert state.design is not None
        targets = routing.specialists(state.design, registry) + extra.engaged(state, added)
        return [Send(t, state) for t in targets] or "automation-engineer"

    def after_design(state: RequestState) -> list[Send] | str:
        assert state.design is not None
        asks = routing.design_checkpoints(state.design)
        if not asks:
            return to_specialists(state)
        return [
            Send("checkpoint", checkpoint_task(state, c.kind, registry, c.reason)) for c in asks
        ]

    def after_review(state: RequestState) -> list[Send] | str:
        if state.review == "rejected":
            return "report"
        if state.review in routing.BACK_TO_DESIGN:
            return "architect"
        return to_specialists(state)

    def after_verify(slug: str, then: str) -> Callable[[RequestState], str]:
        def route(state: RequestState) -> str:
            retry = routing.should_retry(
                state.validations.get(slug, []), state.fix_attempts.get(slug, 0)
            )
            return slug if retry else then

        return route

    def after_gate(state: RequestState) -> str:
        return "architect" if state.review == "changes" else "report"

    graph.add_edge(START, "intake")
    graph.add_edge("intake", "scope")
    graph.add_conditional_edges("scope", after_scope, ["architect", "report"])
    graph.add_conditional_edges("architect", after_design)
    graph.add_edge("checkpoint", "design_review")
    graph.add_conditional_edges("design_review", after_review)
    for slug in (*routing.SPECIALIST_NODES, *added):
        graph.add_edge(slug, "automation-engineer")
    graph.add_edge("automation-engineer", "verify_iac")
    graph.add_conditional_edges(
        "verify_iac",
        after_verify("automation-engineer", PLAN_NODE),
        ["automation-engineer", PLAN_NODE],
    )
    graph.add_edge(PLAN_NODE, "site-reliability-engineer")
    graph.add_edge("site-reliability-engineer", "verify_ops")
    graph.add_conditional_edges(
        "verify_ops",
        after_verify("site-reliability-engineer", "change_gate"),
        ["site-reliability-engineer", "change_gate"],
    )
    graph.add_conditional_edges("change_gate", after_gate, ["architect", "report"])
    graph.add_edge("report", END)
    return graph.compile(checkpointer=checkpointer)
