"""Pausing at a human checkpoint: what a person is asked, how an answer is read, who gave it.

Apart from the flow (graphs/request.py) so both the team's graph and one role's own
(graphs/role.py) pause the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from langgraph.config import get_config
from langgraph.types import interrupt

from opsteam.domain.models import DecisionRecord
from opsteam.domain.redaction import Redactor
from opsteam.domain.registry import Registry
from opsteam.graphs import hitl
from opsteam.graphs.review import change_review
from opsteam.graphs.state import RequestState


def decision_record(answer: dict[str, Any], kind: str, round_: int) -> DecisionRecord:
    return DecisionRecord.model_validate({**answer, "checkpoint": kind, "round": round_})


# Who answered, when a resume through an Agent Server names nobody (no auth configured).
UNIDENTIFIED = "unidentified reviewer"


def _reviewer() -> str:
    """The identity the Agent Server authenticated for this run, if any."""
    try:
        configurable = get_config().get("configurable", {})
    except RuntimeError:  # pragma: no cover - always inside a run
        return UNIDENTIFIED
    user = configurable.get("langgraph_auth_user_id") or configurable.get("user_id")
    return str(user) if user else UNIDENTIFIED


def ask(task: dict[str, Any], *, cancellable: bool = False) -> dict[str, Any]:
    """Pause at a checkpoint until a usable answer arrives (an unusable one is asked again).

    Today's decision form, a HITL ``{"decisions": [...]}`` response or one HITL decision are
    all read into the decision form; ``{"cancelled": True}`` passes through where the
    checkpoint is one of several (the others are moot once one sends the design back).
    """
    question = task
    while True:
        reply = interrupt(question)
        try:
            if isinstance(reply, dict) and reply.get("cancelled") and not cancellable:
                raise hitl.AnswerProblem("this checkpoint cannot be cancelled; decide it")
            return hitl.read_answer(reply, task, reviewer=_reviewer(), now=datetime.now(UTC))
        except hitl.AnswerProblem as problem:
            question = hitl.with_review(task, str(problem))


def rejection_summary(state: RequestState, registry: Registry) -> str:
    """Who stopped the request, where and why (the latest rejection)."""
    rejected = [d for d in state.decisions if d.verdict == "reject"]
    if not rejected:
        return "Rejected."
    last = max(rejected, key=lambda d: d.at)
    where = registry.checkpoint(last.checkpoint).name
    return f"Rejected at {where} by {last.by}: {last.reason}"


def checkpoint_task(
    state: RequestState, kind: str, registry: Registry, reason: str = "", gate: Sequence[Any] = ()
) -> dict[str, Any]:
    """The interrupt payload a person sees: what is asked, why, and the evidence.

    Redacted here, because an Agent Server shows interrupt payloads as they are; it carries
    LangChain's human-in-the-loop request too (see :mod:`opsteam.graphs.hitl`).
    """
    design = state.design
    if not reason and design is not None:
        reason = next((c.reason for c in design.checkpoints if c.kind == kind), "")
    task = {
        "checkpoint": kind,
        "name": registry.checkpoint(kind).name,
        "reason": reason,
        "round": state.round,
        "request": state.request.request,
        "environment": state.request.environment.value,
        "risk": design.risk.model_dump(mode="json") if design else None,
        "gate": [g.model_dump(mode="json") for g in gate],
        # What the person's earlier requested changes did: shown before the next decision.
        "applied": [f"{c.field}: {c.value}" for c in design.changes] if design else [],
        "not_applied": list(design.not_applied) if design else [],
        # What approving lets change (resources, cost, risk, rollback, files): graphs/review.
        "review": review.lines if (review := change_review(state, state.thread_id)) else [],
    }
    safe: dict[str, Any] = Redactor.for_registry(registry).value(task)
    return hitl.with_review(safe)
