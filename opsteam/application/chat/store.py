"""Conversations as durable threads: their state and messages in the history store.

A conversation can be left and resumed later, from another terminal or the web page: its
state (the request it is about, the question it is waiting on) and every message are stored.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, TypeAdapter
from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column

from opsteam.application.chat.replies import Reply
from opsteam.application.db import open_store
from opsteam.application.tables import Base
from opsteam.domain.errors import NotFoundError
from opsteam.domain.model_use import ModelUse
from opsteam.domain.models import Verdict
from opsteam.domain.secrets import mask_secrets, mask_value
from opsteam.intake.words import Parsed

Speaker = Literal["you", "team"]
REPLIES: TypeAdapter[list[Reply]] = TypeAdapter(list[Reply])
HISTORY_LIMIT = 200


class Asking(BaseModel):
    """The question the team is waiting on: a form field, or the reason for a decision."""

    kind: Literal["field", "reason"]
    field: str = ""
    words: Parsed | None = None
    verdict: Verdict | None = None
    thread: str | None = None
    checkpoint: str | None = None
    all_pending: bool = False
    # What the model's readings of this request cost so far, counted with it when submitted.
    reading: ModelUse | None = None


class ConversationState(BaseModel):
    focus: str | None = None  # the request thread the conversation is about
    threads: list[str] = Field(default_factory=list)
    asking: Asking | None = None


class Conversation(BaseModel):
    id: str
    owner: str
    channel: str
    state: ConversationState = Field(default_factory=ConversationState)


class ConversationRow(Base):
    __tablename__ = "chat_conversations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MessageRow(Base):
    __tablename__ = "chat_messages"
    __table_args__ = (UniqueConstraint("conversation_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("chat_conversations.id", ondelete="CASCADE")
    )
    seq: Mapped[int]
    at: Mapped[datetime]
    speaker: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


def _now() -> datetime:
    return datetime.now(UTC)


def start(home: Path, owner: str, channel: str) -> Conversation:
    conversation = Conversation(id=f"conv-{uuid.uuid4().hex[:12]}", owner=owner, channel=channel)
    at = _now()
    with open_store(home) as store, store.session() as session:
        session.add(
            ConversationRow(
                id=conversation.id,
                owner=owner,
                channel=channel,
                state=conversation.state.model_dump(mode="json"),
                created_at=at,
                updated_at=at,
            )
        )
    return conversation


def load(home: Path, conversation_id: str) -> Conversation:
    with open_store(home) as store, store.session() as session:
        row = session.get(ConversationRow, conversation_id.strip())
        if row is None:
            raise NotFoundError(f"no conversation {conversation_id!r}")
        return Conversation(
            id=row.id,
            owner=row.owner,
            channel=row.channel,
            state=ConversationState.model_validate(row.state),
        )


def save(home: Path, conversation: Conversation, said: str | None, replies: list[Reply]) -> None:
    """The conversation's new state and this turn's messages, in one transaction."""
    at = _now()
    with open_store(home) as store, store.session() as session:
        row = session.get(ConversationRow, conversation.id)
        if row is None:
            raise NotFoundError(f"no conversation {conversation.id!r}")
        # Secrets are masked before they are stored (what was said, drafts, replies).
        row.state, row.updated_at = mask_value(conversation.state.model_dump(mode="json")), at
        last = session.scalar(
            select(func.max(MessageRow.seq)).where(MessageRow.conversation_id == conversation.id)
        )
        seq = last or 0
        turn: list[tuple[Speaker, dict[str, Any]]] = []
        if said is not None:
            turn.append(("you", {"kind": "said", "text": mask_secrets(said)}))
        turn += [("team", mask_value(r.model_dump(mode="json"))) for r in replies]
        for speaker, payload in turn:
            seq += 1
            session.add(
                MessageRow(
                    conversation_id=conversation.id,
                    seq=seq,
                    at=at,
                    speaker=speaker,
                    payload=payload,
                )
            )


def history(home: Path, conversation_id: str, limit: int = HISTORY_LIMIT) -> list[Reply]:
    """The conversation's latest messages, oldest first (what a resumed chat shows again)."""
    with open_store(home) as store, store.session() as session:
        rows = session.scalars(
            select(MessageRow)
            .where(MessageRow.conversation_id == conversation_id)
            .order_by(MessageRow.seq.desc())
            .limit(limit)
        ).all()
        payloads = [r.payload for r in reversed(rows)]
    return REPLIES.validate_python(payloads)


def conversations_of(home: Path, owner: str | None, limit: int = 50) -> list[dict[str, Any]]:
    """Recent conversations (of ``owner``, or everyone's), newest first."""
    with open_store(home) as store, store.session() as session:
        query = select(ConversationRow).order_by(ConversationRow.updated_at.desc()).limit(limit)
        if owner is not None:
            query = query.where(ConversationRow.owner == owner)
        return [
            {
                "id": r.id,
                "owner": r.owner,
                "channel": r.channel,
                "updated_at": r.updated_at.isoformat(),
                "focus": ConversationState.model_validate(r.state).focus,
            }
            for r in session.scalars(query)
        ]
