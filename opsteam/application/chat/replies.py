"""What the team says in a conversation: typed replies every chat interface renders.

The terminal prints them with Rich; the web page receives them as JSON. Nothing here is
redacted yet: each interface sends them through the roster's redactor on the way out.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

Tone = Literal["info", "error", "hint"]


class TextReply(BaseModel):
    kind: Literal["text"] = "text"
    text: str
    tone: Tone = "info"


class SaidReply(BaseModel):
    """What the person typed (kept in the conversation's history)."""

    kind: Literal["said"] = "said"
    text: str


class QuestionReply(BaseModel):
    kind: Literal["question"] = "question"
    field: str
    question: str
    problems: list[str] = Field(default_factory=list)
    understood: dict[str, str] = Field(default_factory=dict)


class RequestReply(BaseModel):
    """A request's result, its pending checkpoints with what would change, its diagram."""

    kind: Literal["request"] = "request"
    detail: dict[str, Any]


class TableReply(BaseModel):
    kind: Literal["table"] = "table"
    title: str
    columns: list[str]
    rows: list[list[str]]
    empty: str = "Nothing to show."


class ArtifactReply(BaseModel):
    kind: Literal["artifact"] = "artifact"
    thread_id: str
    path: str
    role: str
    artifact_kind: str
    content: str


class KpiReply(BaseModel):
    """KPIs against their targets now, and each one's series over time."""

    kind: Literal["kpis"] = "kpis"
    rows: list[dict[str, Any]]
    trend: list[dict[str, Any]]


Reply = Annotated[
    TextReply | SaidReply | QuestionReply | RequestReply | TableReply | ArtifactReply | KpiReply,
    Field(discriminator="kind"),
]
