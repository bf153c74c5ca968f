"""The web chat's endpoints: conversations with the team, answered as server-sent events.

The same engine as ``opsteam chat``; the caller acts with its token's name and role (a
requester's "approve" is refused by the engine, as its decision endpoint would be).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from opsteam.application.access import Actor
from opsteam.application.chat import ChatDesk, Conversation
from opsteam.application.chat.replies import TextReply
from opsteam.application.chat.store import conversations_of
from opsteam.domain.errors import ConflictError
from opsteam.interfaces.api.context import Context, Ctx, allowed
from opsteam.interfaces.api.exits import json_body, sse

router = APIRouter(tags=["chat"])
Talker = Annotated[Actor, allowed("read-own", "chat with the team")]


class Line(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=16_000)


def _desk(ctx: Context, actor: Actor) -> ChatDesk:
    return ChatDesk(ctx.home, ctx.registry, actor, channel="web", verifier=ctx.verifier)


def _view(conversation: Conversation, replies: list[Any]) -> dict[str, Any]:
    asking = conversation.state.asking
    return {
        "id": conversation.id,
        "focus": conversation.state.focus,
        "asking": asking.field if asking is not None else None,
        "replies": [r.model_dump(mode="json") for r in replies],
    }


@router.post("/conversations", status_code=201, summary="Start a conversation")
def start(ctx: Ctx, actor: Talker) -> JSONResponse:
    conversation, greeting = _desk(ctx, actor).start()
    return json_body(ctx.redactor, _view(conversation, greeting), 201)


@router.get("/conversations", summary="Your conversations, newest first")
def mine(ctx: Ctx, actor: Talker) -> JSONResponse:
    return json_body(ctx.redactor, conversations_of(ctx.home, actor.name))


@router.get("/conversations/{conversation_id}", summary="A conversation and its history")
def resume(conversation_id: str, ctx: Ctx, actor: Talker) -> JSONResponse:
    conversation, history = _desk(ctx, actor).resume(conversation_id)
    return json_body(ctx.redactor, _view(conversation, history))


def _answer(ctx: Context, desk: ChatDesk, conversation: Conversation, text: str) -> Iterator[str]:
    """Progress while the team works, then each reply, then ``done``; all redacted."""
    events: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue()

    def work() -> None:
        try:
            replies = desk.handle(
                conversation, text, lambda s: events.put(("progress", {"label": s}))
            )
            for reply in replies:
                events.put(("reply", reply.model_dump(mode="json")))
        except Exception as exc:  # the stream always ends, with the reason shown
            error = TextReply(text=f"internal error: {type(exc).__name__}", tone="error")
            events.put(("reply", error.model_dump(mode="json")))
        finally:
            with ctx.lock:
                ctx.busy.discard(conversation.id)
            events.put(None)

    threading.Thread(target=work, name=f"chat-{conversation.id}", daemon=True).start()
    while (item := events.get()) is not None:
        yield sse(ctx.redactor, *item)
    yield sse(ctx.redactor, "done", {"id": conversation.id})


@router.post("/conversations/{conversation_id}/messages", summary="Say something (SSE answer)")
def say(conversation_id: str, line: Line, ctx: Ctx, actor: Talker) -> StreamingResponse:
    """A text/event-stream: ``progress`` events, ``reply`` events, then ``done``."""
    desk = _desk(ctx, actor)
    conversation, _ = desk.resume(conversation_id)
    with ctx.lock:
        if conversation.id in ctx.busy:
            raise ConflictError("the team is still answering your previous message")
        ctx.busy.add(conversation.id)
    return StreamingResponse(
        _answer(ctx, desk, conversation, line.text),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
