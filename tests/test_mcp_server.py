"""``opsteam mcp``: driven by the MCP SDK's own client, in-process and over a real stdio pipe.

Approvals are asked through elicitation under both protocol generations (a mid-call request on
2025-11-25, an input-required round on 2026-07-28), and handed back as pending approvals to a
client that cannot ask. Every reply is scanned for internal IDs.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp_types import CallToolResult, ElicitResult, Implementation

from opsteam.application.service import Opsteam
from opsteam.application.task import Tasks
from opsteam.domain.registry import load_registry
from opsteam.interfaces.mcp.server import build_server
from tests.fakes import ParseOnlyVerifier
from tests.rosters import internal_ids

PROD = "open 443 from 203.0.113.0/24 to the bastion in prod"
AGENT = Implementation(name="test-agent", version="1.2")
MODES = ("auto", "legacy")  # 2026-07-28 (input-required rounds), 2025-11-25 (mid-call requests)
Answer = dict[str, Any] | None


def _server(home: Path) -> Any:
    registry = load_registry()
    return build_server(registry, lambda: Tasks(Opsteam(home, registry, ParseOnlyVerifier())))


class Person:
    """Answers elicitation with the scripted answers, in order; records every question."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []

    async def __call__(self, context: Any, params: Any) -> ElicitResult:
        self.asked.append(params.message)
        answer = self.answers.pop(0)
        if answer is None:
            return ElicitResult(action="decline")
        return ElicitResult(action="accept", content=answer)


def _data(result: CallToolResult, seen: list[str]) -> dict[str, Any]:
    text = "".join(getattr(c, "text", "") for c in result.content)
    seen.append(text + json.dumps(result.structured_content))
    assert not result.is_error, text
    assert result.structured_content is not None
    return result.structured_content


def _call(
    server: Any, calls: list[tuple[str, dict[str, Any]]], person: Person | None = None,
    mode: str = "auto",
) -> tuple[list[CallToolResult], list[str]]:  # fmt: skip
    """Each call in one client session; the raw results and every text they carried."""
    results: list[CallToolResult] = []

    async def main() -> None:
        async with Client(server, elicitation_callback=person, client_info=AGENT, mode=mode) as c:
            for name, args in calls:
                results.append(await c.call_tool(name, args))

    anyio.run(main)
    texts = ["".join(getattr(c, "text", "") for c in r.content) for r in results]
    assert not any(internal_ids(t) for t in texts)
    return results, texts


def test_tools_and_their_annotations(tmp_path: Path) -> None:
    async def main() -> Any:
        async with Client(_server(tmp_path)) as client:
            return await client.list_tools()

    tools = {t.name: t for t in anyio.run(main).tools}
    assert set(tools) == {"task", "status", "list_approvals", "decide", "roster", "show_artifact"}
    read_only = {n for n, t in tools.items() if t.annotations and t.annotations.read_only_hint}
    assert read_only == {"status", "list_approvals", "roster", "show_artifact"}
    assert "infrastructure-team, infrastructure-architect" in (tools["task"].description or "")


@pytest.mark.parametrize("mode", MODES)
def test_the_person_approves_through_elicitation(tmp_path: Path, mode: str) -> None:
    person = Person({"decision": "approve"})
    args = {"subagent_type": "network-engineer", "prompt": PROD}
    [result], _ = _call(_server(tmp_path), [("task", args)], person, mode)
    data = _data(result, [])
    assert data["status"] == "completed" and data["pending"] == []
    assert "Production change approval" in person.asked[0]
    [decision] = Opsteam(tmp_path).status(data["thread_id"]).decisions
    assert (decision.verdict, decision.by) == ("approve", "test-agent 1.2 (MCP client)")


@pytest.mark.parametrize("mode", MODES)
def test_changes_and_a_bad_answer_are_asked_again(tmp_path: Path, mode: str) -> None:
    person = Person(
        {"decision": "request-changes", "reason": "only from the office range"},
        {"decision": "reject", "reason": ""},  # refused: a rejection needs a reason
        {"decision": "approve"},
    )
    args = {"subagent_type": "network-engineer", "prompt": PROD}
    [result], _ = _call(_server(tmp_path), [("task", args)], person, mode)
    data = _data(result, [])
    assert data["status"] == "completed"
    assert len(person.asked) == 3 and "needs a reason" in person.asked[2]
    state = Opsteam(tmp_path).state(data["thread_id"])
    assert state.feedback == ["only from the office range"]
    assert [d.verdict for d in state.decisions] == ["changes", "approve"]


@pytest.mark.parametrize("mode", MODES)
def test_a_declined_question_leaves_the_approval_pending(tmp_path: Path, mode: str) -> None:
    args = {"subagent_type": "network-engineer", "prompt": PROD}
    [result], _ = _call(_server(tmp_path), [("task", args)], Person(None), mode)
    data = _data(result, [])
    assert data["status"] == "awaiting-approval" and "still pending" in data["note"]
    assert data["pending"][0]["decide"].startswith("call decide with thread_id=")


def test_without_elicitation_the_pending_approval_is_decided_with_decide(tmp_path: Path) -> None:
    server = _server(tmp_path)
    seen: list[str] = []
    words = PROD + ", as INF-003 asked"  # an internal ID in the words never comes back
    [first], _ = _call(server, [("task", {"subagent_type": "network-engineer", "prompt": words})])
    paused = _data(first, seen)
    assert paused["status"] == "awaiting-approval"
    [pending] = paused["pending"]
    thread = paused["thread_id"]
    calls = [
        ("list_approvals", {}),
        ("status", {"thread_id": thread}),
        ("status", {}),
        ("show_artifact", {"thread_id": thread, "path": "network/network-plan.md"}),
        ("roster", {}),
        (
            "decide",
            {
                "thread_id": thread,
                "decision": "reject",
                "approval_id": pending["id"],
                "reason": "not during the freeze",
            },
        ),
    ]
    results, _ = _call(server, calls)
    approvals, status, recent, artifact, roster, decided = (_data(r, seen) for r in results)
    assert [(a["thread_id"], a["id"]) for a in approvals["approvals"]] == [
        (thread, "production-change")
    ]
    assert status["status"] == "awaiting-approval"
    assert [r["thread_id"] for r in recent["requests"]] == [thread]
    assert artifact["sha256"] == paused["artifacts"][0]["sha256"]
    assert "as Network Engineer asked" in artifact["content"]
    assert roster["subagent_types"][0] == "infrastructure-team"
    assert decided["status"] == "rejected"
    assert "by test-agent 1.2 (MCP client): not during the freeze" in decided["summary"]
    assert not any(internal_ids(text) for text in seen)


def test_problems_are_tool_errors_the_model_can_read(tmp_path: Path) -> None:
    calls = [
        ("task", {"subagent_type": "dba", "prompt": PROD}),
        ("show_artifact", {"thread_id": "chg-000000000000", "path": "x"}),
        ("decide", {"thread_id": "chg-000000000000", "decision": "approve"}),
        ("task", {"subagent_type": "network-engineer", "prompt": "open 443 to the bastion"}),
    ]
    results, texts = _call(_server(tmp_path), calls)
    assert [r.is_error for r in results] == [True, True, True, False]
    assert "valid types: infrastructure-team" in texts[0]
    assert "no request with thread id" in texts[1]
    assert results[3].structured_content is not None
    assert results[3].structured_content["questions"] == [
        "missing: environment (dev, staging or prod)"
    ]


@pytest.mark.slow
def test_a_real_stdio_subprocess(tmp_path: Path) -> None:
    command = str(Path(sys.executable).with_name("opsteam"))
    env = {"OPSTEAM_HOME": str(tmp_path / "home"), "OPSTEAM_LOG": "warning"}
    params = StdioServerParameters(command=command, args=["mcp"], env={**os.environ, **env})
    staging = PROD.replace("prod", "staging")
    found: dict[str, Any] = {}

    async def main() -> None:
        async with Client(params, client_info=AGENT, read_timeout_seconds=120) as client:
            found["tools"] = {t.name for t in (await client.list_tools()).tools}
            found["task"] = await client.call_tool(
                "task", {"subagent_type": "network-engineer", "prompt": staging}
            )

    anyio.run(main)
    assert "decide" in found["tools"]
    data = _data(found["task"], [])
    assert (data["status"], data["roles"]) == (
        "completed",
        ["Infrastructure Architect", "Network Engineer"],
    )


def test_several_pending_approvals_are_decided_one_by_one(tmp_path: Path) -> None:
    server = _server(tmp_path)
    words = (
        "schema migration on the orders postgres database in prod: add a column customers "
        "see, and integrate the Stripe webhook"
    )
    args = {"subagent_type": "infrastructure-team", "prompt": words}
    [first], _ = _call(server, [("task", args)])
    paused = _data(first, [])
    thread = paused["thread_id"]
    ids = [p["id"] for p in paused["pending"]]
    assert {"customer-schema-change", "external-integration"} <= set(ids)
    calls = [("decide", {"thread_id": thread, "decision": "approve"})] + [
        ("decide", {"thread_id": thread, "decision": "approve", "approval_id": i}) for i in ids
    ]
    results, texts = _call(server, calls)
    assert results[0].is_error and "give approval_id" in texts[0]
    assert ", ".join(ids) in texts[0]
    after = [_data(r, []) for r in results[1:]]
    for done, result in enumerate(after, start=1):  # each decision leaves the others pending
        left = [p["id"] for p in result["pending"]]
        assert left == (ids[done:] or ["production-change"])
