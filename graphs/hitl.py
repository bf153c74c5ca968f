"""Checkpoint questions in the shape agent UIs already render, and their answers read back.

A checkpoint's interrupt payload carries LangChain's human-in-the-loop request
(``action_requests`` with a description, ``review_configs`` with the allowed decisions), so
LangGraph Studio and agent-chat-ui show approve / edit / reject with no custom code. A resume
may be today's decision form (``{"verdict", "by", "at", "reason"}``), the matching HITL
response (``{"decisions": [...]}``) or one bare HITL decision; all become the same decision
form. Pure: no graph machinery here, so every shape is tested directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from opsteam.domain.models import DecisionInput

ALLOWED_DECISIONS = ("approve", "edit", "reject")
# The action's arguments a person may edit; "changes" is the requested-changes text.
EDITABLE = ("request", "environment", "changes")
_VERDICTS = ("approve", "reject", "changes")


def _lines(task: Mapping[str, Any]) -> list[str]:
    lines = [f"{task['name']} for '{task['request']}' [{task['environment']}]"]
    if task.get("reason"):
        lines.append(f"Why: {task['reason']}")
    risk = task.get("risk")
    if isinstance(risk, Mapping):
        lines.append(f"Risk: {risk.get('level')} ({risk.get('score')}/100)")
    for check in task.get("gate", []):
        mark = "ok" if check.get("passed") else "MISSING"
        lines.append(f"- [{mark}] {check.get('item')}: {check.get('evidence')}")
    lines += [str(line) for line in task.get("review", [])]
    lines += [f"Applied earlier: {item}" for item in task.get("applied", [])]
    lines += [f"Not applied: {item}" for item in task.get("not_applied", [])]
    lines.append(
        "Approve to go on, reject with a message (the reason), or edit 'changes' to send the "
        "design back with your requested changes."
    )
    if task.get("problem"):
        lines.append(f"Your last answer was not used: {task['problem']}")
    return lines


def review_request(task: Mapping[str, Any]) -> dict[str, Any]:
    """LangChain's HITLRequest for one checkpoint task: one action, approve / edit / reject."""
    kind = str(task["checkpoint"])
    args = {
        "request": task["request"],
        "environment": task["environment"],
        "changes": "",
    }
    return {
        "action_requests": [{"name": kind, "args": args, "description": "\n".join(_lines(task))}],
        "review_configs": [{"action_name": kind, "allowed_decisions": list(ALLOWED_DECISIONS)}],
    }


def with_review(task: Mapping[str, Any], problem: str = "") -> dict[str, Any]:
    """The checkpoint task plus its HITL request (and, re-asked, why the last answer failed)."""
    plain = {k: v for k, v in task.items() if k not in ("action_requests", "review_configs")}
    if problem:
        plain["problem"] = problem
    return {**plain, **review_request(plain)}


class AnswerProblem(ValueError):
    """A resume value that cannot be used as a decision (the checkpoint asks again)."""


def _edited_changes(decision: Mapping[str, Any], task: Mapping[str, Any]) -> str:
    action = decision.get("edited_action")
    args = action.get("args") if isinstance(action, Mapping) else None
    if not isinstance(args, Mapping):
        raise AnswerProblem("an edit decision needs edited_action.args")
    asks = [str(args.get("changes") or "").strip()]
    # Edited request fields are requested changes too, said the way a person would.
    for field in ("request", "environment"):
        value = args.get(field)
        if value is not None and str(value).strip() and str(value) != str(task.get(field)):
            asks.append(f"{field}: {str(value).strip()}")
    text = "; ".join(a for a in asks if a)
    if not text:
        raise AnswerProblem("an edit decision needs the requested changes in args.changes")
    return text


def _from_decision(decision: Any, task: Mapping[str, Any]) -> tuple[str, str]:
    """(verdict, reason) of one HITL decision."""
    if not isinstance(decision, Mapping):
        raise AnswerProblem("a decision must be an object with a 'type'")
    kind = decision.get("type")
    if kind == "approve":
        return "approve", ""
    if kind == "reject":
        message = str(decision.get("message") or "").strip()
        if not message:
            raise AnswerProblem("a reject decision needs a message (the reason)")
        return "reject", message
    if kind == "edit":
        return "changes", _edited_changes(decision, task)
    allowed = ", ".join(ALLOWED_DECISIONS)
    raise AnswerProblem(f"decision type {kind!r} is not allowed here (allowed: {allowed})")


def _verdict_and_reason(reply: Mapping[str, Any], task: Mapping[str, Any]) -> tuple[str, str]:
    if "decisions" in reply:
        decisions = reply["decisions"]
        if not isinstance(decisions, list) or len(decisions) != 1:
            raise AnswerProblem("this checkpoint asks one action: send exactly one decision")
        return _from_decision(decisions[0], task)
    if "type" in reply:
        return _from_decision(reply, task)
    verdict = reply.get("verdict")
    if verdict not in _VERDICTS:
        raise AnswerProblem(f"verdict must be one of {', '.join(_VERDICTS)}")
    reason = str(reply.get("reason") or "").strip()
    if verdict != "approve" and not reason:
        raise AnswerProblem(f"a {verdict} decision needs a reason")
    return str(verdict), reason


def read_answer(
    reply: Any, task: Mapping[str, Any], *, reviewer: str, now: datetime
) -> dict[str, Any]:
    """The decision form for ``reply``; ``{"cancelled": True}`` passes through.

    ``reviewer`` names who answered when the reply does not say (the caller's identity);
    ``now`` is when, unless the reply carries its own time (today's form always does).
    Raises :class:`AnswerProblem` when the reply cannot be used.
    """
    if not isinstance(reply, Mapping):
        raise AnswerProblem("send a decision object (e.g. {'decisions': [{'type': 'approve'}]})")
    if reply.get("cancelled"):
        return {"cancelled": True}
    verdict, reason = _verdict_and_reason(reply, task)
    try:
        who = DecisionInput(by=str(reply.get("by") or reviewer), reason=reason)
    except ValidationError as exc:
        raise AnswerProblem(f"decision: {exc.errors()[0]['msg']}") from None
    at = reply.get("at") or now.isoformat()
    try:
        datetime.fromisoformat(str(at))
    except ValueError:
        raise AnswerProblem(f"at: {at!r} is not an ISO 8601 time") from None
    return {"verdict": verdict, "by": who.by, "at": str(at), "reason": who.reason}
