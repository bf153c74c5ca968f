"""The conversation engine: asks instead of guessing, decides, looks up, resumes, redacts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from opsteam.application.access import Actor
from opsteam.application.chat import ChatDesk, Conversation
from opsteam.application.chat.replies import Reply
from opsteam.domain.registry import Registry
from tests.chat_support import ANSWER, WORDS, no_internal_ids
from tests.exits import redact
from tests.fakes import ParseOnlyVerifier


class Talk:
    """A desk and a conversation; every reply is kept, redacted, for the ID scan."""

    def __init__(self, home: Path, registry: Registry, actor: Actor) -> None:
        self.desk = ChatDesk(home, registry, actor, channel="test", verifier=ParseOnlyVerifier())
        self.conversation, greeting = self.desk.start()
        self.shown: list[str] = []
        self.progress: list[str] = []
        self._keep(greeting)

    def _keep(self, replies: list[Reply]) -> list[dict[str, Any]]:
        data = [redact(r.model_dump(mode="json")) for r in replies]
        self.shown.append(json.dumps(data))
        return data

    def say(self, line: str) -> list[dict[str, Any]]:
        return self._keep(self.desk.handle(self.conversation, line, self.progress.append))


@pytest.fixture
def talk(tmp_path: Path, registry: Registry) -> Talk:
    return Talk(tmp_path / "home", registry, Actor("alice", "approver"))


def _result(replies: list[dict[str, Any]]) -> dict[str, Any]:
    [request] = [r for r in replies if r["kind"] == "request"]
    result: dict[str, Any] = request["detail"]["result"]
    return result


def test_missing_environment_is_asked_then_the_request_runs_to_its_checkpoints(
    talk: Talk,
) -> None:
    [question] = talk.say(WORDS)
    assert question["kind"] == "question" and question["field"] == "environment"
    assert question["understood"]["component"] == "database"
    assert talk.desk.team().threads() == []  # nothing ran before the answer
    replies = talk.say(ANSWER)
    result = _result(replies)
    assert result["environment"] == "prod" and result["status"] == "awaiting-approval"
    assert [p["id"] for p in result["pending"]] == ["architecture-change"]
    preview = replies[-1]["detail"]["preview"]
    assert preview["components"] and preview["specialists"] and preview["files"] == []
    assert "Infrastructure Architect: designing the change" in " ".join(talk.progress)

    second = _result(talk.say("approve"))
    assert [p["id"] for p in second["pending"]] == ["production-change"]
    assert "Network Engineer: planning subnets" in " ".join(talk.progress)
    done = _result(talk.say("approve production-change: window agreed"))
    assert done["status"] == "completed"
    assert [(d["checkpoint"], d["by"]) for d in done["decisions"]] == [
        ("architecture-change", "alice"),
        ("production-change", "alice"),
    ]
    no_internal_ids(*talk.shown, *talk.progress)


def test_a_wrong_answer_is_asked_again_and_cancel_drops_the_question(talk: Talk) -> None:
    talk.say(WORDS)
    [again] = talk.say("on the moon")
    assert again["kind"] == "question" and again["problems"]
    assert talk.conversation.state.asking is not None
    talk.say("cancel")
    assert talk.conversation.state.asking is None
    assert talk.say("status")[0]["rows"] == []


def test_reject_without_a_reason_asks_why_and_records_the_answer(talk: Talk) -> None:
    talk.say(WORDS)
    talk.say(ANSWER)
    [why] = talk.say("reject")
    assert why["kind"] == "question" and why["field"] == "reason"
    result = _result(talk.say("the budget is not approved"))
    assert result["status"] == "rejected"
    assert result["decisions"][0]["reason"] == "the budget is not approved"


def test_a_requester_cannot_decide_and_sees_only_its_own_requests(
    tmp_path: Path, registry: Registry
) -> None:
    home = tmp_path / "home"
    alice = Talk(home, registry, Actor("alice", "requester"))
    alice.say(WORDS)
    thread = _result(alice.say(ANSWER))["thread_id"]
    [refused] = alice.say("approve")
    assert refused["tone"] == "error" and "requester role may not decide" in refused["text"]
    carol = Talk(home, registry, Actor("carol", "requester"))
    assert carol.say("status")[0]["rows"] == []
    [hidden] = carol.say(f"status {thread}")
    assert hidden["tone"] == "error" and "no request" in hidden["text"]
    boss = Talk(home, registry, Actor("bob", "approver"))
    assert [r[0] for r in boss.say("status")[0]["rows"]] == [thread]


def test_artifacts_diagram_and_operations_lookups(talk: Talk) -> None:
    talk.say("A Redis cache for the catalog service in dev because reads dominate")
    talk.say("approve")  # a new cache: the architecture review, then the run ends
    [files] = talk.say("artifacts")
    assert any(row[0] == "terraform/main.tf" for row in files["rows"])
    [shown] = talk.say("show main.tf")  # the stack's, not the bootstrap's
    assert shown["path"] == "terraform/main.tf" and "resource" in shown["content"]
    [diagram] = talk.say("show diagram")
    assert diagram["artifact_kind"] == "diagram" and "Redis" in diagram["content"]
    [missing] = talk.say("show nothing-like-this")
    assert missing["tone"] == "error" and "no artifact matches" in missing["text"]
    [oncall] = talk.say("who is on call")
    assert [row[0] for row in oncall["rows"]] == ["primary", "secondary"]
    assert talk.say("incidents")[0]["empty"] == "No open incidents."
    [kpis] = talk.say("kpis")
    assert {r["key"] for r in kpis["rows"]} == {t["key"] for t in kpis["trend"]}
    assert all(len(t["points"]) == 6 for t in kpis["trend"])
    no_internal_ids(*talk.shown)


def test_a_conversation_resumes_with_its_history_and_its_open_question(
    tmp_path: Path, registry: Registry
) -> None:
    home = tmp_path / "home"
    first = Talk(home, registry, Actor("alice", "approver"))
    first.say(WORDS)
    desk = ChatDesk(
        home, registry, Actor("alice", "approver"), channel="other", verifier=ParseOnlyVerifier()
    )
    conversation, history = desk.resume(first.conversation.id)
    kinds = [r.kind for r in history]
    assert kinds[-2:] == ["said", "question"]
    assert conversation.state.asking is not None
    result = desk.handle(conversation, ANSWER)
    assert any(r.kind == "request" for r in result)
    stranger = ChatDesk(home, registry, Actor("carol", "approver"), channel="web")
    from opsteam.domain.errors import NotFoundError

    with pytest.raises(NotFoundError):
        stranger.resume(first.conversation.id)


def test_internal_ids_typed_by_a_person_never_come_back(talk: Talk) -> None:
    talk.say("A Redis cache for the inf-003 catalog service in dev, reviewed by INF-001")
    talk.say("status")
    talk.say("show plan")
    joined = " ".join(talk.shown)
    assert "Network Engineer" in joined
    no_internal_ids(*talk.shown)


def test_conversation_state_is_plain_data() -> None:
    conversation = Conversation(id="conv-x", owner="a", channel="web")
    assert Conversation.model_validate(conversation.model_dump(mode="json")) == conversation
