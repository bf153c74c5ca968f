"""Checkpoint interrupts in LangChain's human-in-the-loop shape, and every resume shape read back.

The payload is checked against the installed ``langchain`` HITL middleware types (what Studio
and agent-chat-ui render), and resumes go through a real compiled graph.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from langchain.agents.middleware.human_in_the_loop import HITLRequest, HITLResponse
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from pydantic import TypeAdapter

from opsteam.application.checkpoints import serializer
from opsteam.domain.registry import Registry
from opsteam.graphs import hitl
from opsteam.graphs.pause import UNIDENTIFIED
from opsteam.graphs.request import build_request_graph
from opsteam.graphs.state import RequestState
from tests.conftest import RequestFactory
from tests.fakes import ParseOnlyVerifier

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
TASK: dict[str, Any] = {
    "checkpoint": "production-change",
    "name": "Production change approval",
    "reason": "changes production",
    "round": 1,
    "request": "HA Postgres for billing",
    "environment": "prod",
    "risk": {"level": "high", "score": 75, "factors": ["environment prod"]},
    "gate": [{"item": "Rollback plan defined", "passed": False, "evidence": "0 step(s)"}],
    "applied": [],
    "not_applied": [],
}


def _answer(reply: Any) -> dict[str, Any]:
    return hitl.read_answer(reply, TASK, reviewer="alice", now=NOW)


def test_payload_is_a_langchain_hitl_request_with_approve_edit_reject() -> None:
    payload = hitl.with_review(TASK)
    request = {k: payload[k] for k in ("action_requests", "review_configs")}
    # Validating drops unknown keys: equality proves every key is one the type declares.
    assert TypeAdapter(HITLRequest).validate_python(request) == request
    [action] = payload["action_requests"]
    [config] = payload["review_configs"]
    assert action["name"] == config["action_name"] == "production-change"
    assert config["allowed_decisions"] == ["approve", "edit", "reject"]
    assert "Production change approval" in action["description"]
    assert "[MISSING] Rollback plan defined" in action["description"]
    assert payload["checkpoint"] == "production-change"  # today's fields stay


@pytest.mark.parametrize(
    ("reply", "verdict", "reason"),
    [
        ({"decisions": [{"type": "approve"}]}, "approve", ""),
        ({"decisions": [{"type": "reject", "message": "use the shared cluster"}]}, "reject",
         "use the shared cluster"),
        ({"decisions": [{"type": "edit", "edited_action": {
            "name": "production-change", "args": {"changes": "add a read replica"}}}]},
         "changes", "add a read replica"),
        ({"type": "approve"}, "approve", ""),
        ({"verdict": "changes", "reason": "two zones", "by": "bob",
          "at": "2026-12-01T08:00:00+00:00"}, "changes", "two zones"),
    ],
)  # fmt: skip
def test_every_resume_shape_becomes_the_decision_form(
    reply: dict[str, Any], verdict: str, reason: str
) -> None:
    if "decisions" in reply:
        TypeAdapter(HITLResponse).validate_python(reply)  # a real HITL response shape
    answer = _answer(reply)
    assert (answer["verdict"], answer["reason"]) == (verdict, reason)
    assert answer["by"] == reply.get("by", "alice")
    assert answer["at"] == reply.get("at", NOW.isoformat())


def test_an_edited_request_field_is_a_requested_change() -> None:
    args = {"request": TASK["request"], "environment": "staging", "changes": ""}
    reply = {"decisions": [{"type": "edit", "edited_action": {"name": "x", "args": args}}]}
    assert _answer(reply)["reason"] == "environment: staging"


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ({"decisions": [{"type": "reject"}]}, "needs a message"),
        ({"decisions": [{"type": "respond", "message": "hi"}]}, "not allowed"),
        ({"decisions": [{"type": "approve"}, {"type": "approve"}]}, "exactly one"),
        ({"decisions": [{"type": "edit", "edited_action": {"name": "x", "args": {}}}]},
         "requested changes"),
        ({"verdict": "reject"}, "needs a reason"),
        ({"verdict": "maybe"}, "verdict must be"),
        ({"verdict": "approve", "at": "yesterday"}, "ISO 8601"),
        ({"type": "approve", "by": "a\x07b"}, "decision"),
        ("yes", "decision object"),
    ],
)  # fmt: skip
def test_unusable_answers_are_refused_with_the_reason(reply: Any, problem: str) -> None:
    with pytest.raises(hitl.AnswerProblem, match=problem):
        _answer(reply)


def _paused(registry: Registry, make_request: RequestFactory) -> tuple[Any, dict[str, Any]]:
    saver = InMemorySaver(serde=serializer())
    graph = build_request_graph(registry, ParseOnlyVerifier(), checkpointer=saver)
    config: Any = {"configurable": {"thread_id": "t1"}}
    request = make_request(environment="prod")  # architecture change, then production change
    graph.invoke(RequestState(request=request), config)
    return graph, config


def test_a_run_resumes_with_a_hitl_decision_and_records_it(
    registry: Registry, make_request: RequestFactory
) -> None:
    graph, config = _paused(registry, make_request)
    asked = []
    while interrupts := graph.get_state(config).interrupts:
        [pending] = interrupts
        assert pending.value["review_configs"][0]["allowed_decisions"] == [
            "approve",
            "edit",
            "reject",
        ]
        asked.append(pending.value["checkpoint"])
        graph.invoke(Command(resume={"decisions": [{"type": "approve"}]}), config)
    state = RequestState.model_validate(graph.get_state(config).values)
    assert state.status == "completed"
    assert asked == ["architecture-change", "production-change"]
    assert [(d.checkpoint, d.verdict, d.by) for d in state.decisions] == [
        (kind, "approve", UNIDENTIFIED) for kind in asked
    ]


def test_an_unusable_answer_asks_again_and_records_nothing(
    registry: Registry, make_request: RequestFactory
) -> None:
    graph, config = _paused(registry, make_request)
    graph.invoke(Command(resume={"decisions": [{"type": "reject"}]}), config)
    snapshot = graph.get_state(config)
    [again] = snapshot.interrupts
    assert "needs a message" in again.value["problem"]
    assert "needs a message" in again.value["action_requests"][0]["description"]
    assert not RequestState.model_validate(snapshot.values).decisions
    reject = {"type": "reject", "message": "not this quarter"}
    graph.invoke(Command(resume={"decisions": [reject], "by": "carol"}), config)
    state = RequestState.model_validate(graph.get_state(config).values)
    assert state.status == "rejected"
    assert [(d.verdict, d.by, d.reason) for d in state.decisions] == [
        ("reject", "carol", "not this quarter")
    ]
    assert state.summary.endswith("by carol: not this quarter")


def test_an_edit_sends_the_design_back_with_the_requested_changes(
    registry: Registry, make_request: RequestFactory
) -> None:
    graph, config = _paused(registry, make_request)
    edit = {"name": "architecture-change", "args": {"changes": "add a read replica"}}
    graph.invoke(Command(resume={"decisions": [{"type": "edit", "edited_action": edit}]}), config)
    snapshot = graph.get_state(config)
    state = RequestState.model_validate(snapshot.values)
    assert state.round == 2 and state.feedback == ["add a read replica"]
    [pending] = snapshot.interrupts  # the revised design is asked about again
    assert pending.value["round"] == 2
    # What the requested change did (or why not), shown before the next decision.
    assert pending.value["applied"] + pending.value["not_applied"]


def test_a_lone_cancelled_checkpoint_is_asked_again_not_passed(
    registry: Registry, make_request: RequestFactory
) -> None:
    """Only the service cancels (the siblings of a rejection); alone it decides nothing."""
    graph, config = _paused(registry, make_request)
    [first] = graph.get_state(config).interrupts
    graph.invoke(Command(resume={"cancelled": True}), config)
    snapshot = graph.get_state(config)
    [again] = snapshot.interrupts
    assert again.value["checkpoint"] == first.value["checkpoint"] == "architecture-change"
    state = RequestState.model_validate(snapshot.values)
    assert (
        state.decisions == []
        and state.servers is None
        and state.artifacts.get("network")
        in (
            None,
            [],
        )
    )
