"""Asking a person for a checkpoint decision through the MCP client, when it can ask.

A client that declared form elicitation gets the question: over a handshake-era protocol as a
server-to-client request in the middle of the call, over 2026-07-28 and later as an
input-required result whose request state names the request and checkpoint (the client calls
again with the person's answer). A client that cannot ask gets the pending approval's id and
how to decide it, and nothing waits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from mcp.server.mcpserver import Context
from mcp_types import ElicitRequest, ElicitRequestFormParams, ElicitResult, InputRequiredResult
from mcp_types.version import is_version_at_least
from pydantic import BaseModel, Field, ValidationError

from opsteam.application.task import PendingApproval
from opsteam.domain.models import Verdict

Decision = Literal["approve", "reject", "request-changes"]
VERDICTS: dict[str, Verdict] = {
    "approve": "approve",
    "reject": "reject",
    "request-changes": "changes",
}
ANSWER_KEY = "decision"
INPUT_REQUIRED_VERSION = "2026-07-28"
# Questions asked within one call before the pending approval is handed back instead.
MAX_QUESTIONS = 8


class ApprovalAnswer(BaseModel):
    """The form a person fills in: the decision, and why (or what to change)."""

    decision: Decision = Field(description="approve, reject, or request-changes")
    reason: str = Field(
        default="",
        description="Why (required to reject), or the changes you ask for (request-changes)",
    )


@dataclass(frozen=True)
class Asked:
    """Which approval a 2026-07-28 round asked about (carried in the request state)."""

    thread_id: str
    approval: str

    def encode(self) -> str:
        return json.dumps({"thread_id": self.thread_id, "approval": self.approval})

    @classmethod
    def decode(cls, state: str | None) -> Asked | None:
        if not state:
            return None
        try:
            data = json.loads(state)
            return cls(thread_id=str(data["thread_id"]), approval=str(data["approval"]))
        except (ValueError, KeyError, TypeError):
            return None


def client_identity(ctx: Context[Any, Any]) -> str:
    """Who decides through MCP: the identity the client reported (name and version)."""
    params = ctx.session.client_params
    info = params.client_info if params is not None else None
    if info is None:
        return "unidentified MCP client"
    return f"{info.name} {info.version} (MCP client)"


def can_ask(ctx: Context[Any, Any]) -> bool:
    """The client declared form elicitation (a bare ``elicitation: {}`` means form)."""
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    if elicitation is None:
        return False
    return elicitation.form is not None or elicitation.url is None


def asks_by_input_required(ctx: Context[Any, Any]) -> bool:
    version = ctx.protocol_version
    return version is not None and is_version_at_least(version, INPUT_REQUIRED_VERSION)


def question(pending: PendingApproval, request: str) -> str:
    return (
        f"{pending.name} for '{request}' (request {pending.thread_id}).\n"
        f"Why: {pending.reason}\n"
        + "".join(f"{line}\n" for line in pending.review)
        + "Approve, reject (give the reason), or request changes (say what to change)."
    )


def input_required(pending: PendingApproval, message: str) -> InputRequiredResult:
    """The 2026-07-28 way to ask: the client asks the person and calls again."""
    schema = ApprovalAnswer.model_json_schema()
    ask = ElicitRequest(params=ElicitRequestFormParams(message=message, requested_schema=schema))
    state = Asked(pending.thread_id, pending.id).encode()
    return InputRequiredResult(input_requests={ANSWER_KEY: ask}, request_state=state)


def answer_from(response: Any) -> ApprovalAnswer | None:
    """The person's answer from an elicitation response; None when declined or unusable."""
    if not isinstance(response, ElicitResult) or response.action != "accept":
        return None
    try:
        return ApprovalAnswer.model_validate(response.content or {})
    except ValidationError:
        return None


async def ask_now(ctx: Context[Any, Any], message: str) -> ApprovalAnswer | None:
    """The handshake-era way: ask in the middle of the call; None when declined."""
    outcome = await ctx.elicit(message, ApprovalAnswer)
    if outcome.action != "accept":
        return None
    data: ApprovalAnswer = outcome.data
    return data
