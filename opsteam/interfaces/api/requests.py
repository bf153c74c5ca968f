"""Change requests over HTTP: submit, list, read, artifacts, decisions, an event stream.

Thin: the intake, the runs and the views are the application's; this module maps them to
routes, status codes and the redacted exit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import Future
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from opsteam.application import access
from opsteam.application.access import Actor
from opsteam.application.asking import read_submission
from opsteam.application.request_views import artifact, bundle_zip
from opsteam.application.runs import DecisionAsk
from opsteam.domain.errors import NotFoundError
from opsteam.domain.models import MAX_REASON
from opsteam.interfaces.api.context import Context, Ctx, allowed
from opsteam.interfaces.api.exits import errors, json_body, sse

router = APIRouter(tags=["requests"])
MAX_WORDS = 16_000
KEEPALIVE_TICKS = 150  # a comment every ~15 s keeps proxies from closing a quiet stream
Wait = Annotated[bool, Query(description="Answer when the run pauses or ends (else 202).")]


class Submission(BaseModel):
    """A request in plain words (with answers to the team's questions), or the form itself."""

    model_config = ConfigDict(extra="forbid")
    words: str | None = Field(default=None, max_length=MAX_WORDS)
    answers: dict[str, Annotated[str, Field(max_length=500)]] = Field(
        default_factory=dict, max_length=8
    )
    form: dict[str, Any] | None = None


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verdict: Literal["approve", "reject", "changes"]
    checkpoint: str | None = Field(default=None, max_length=64)
    all: bool = False
    reason: str = Field(default="", max_length=MAX_REASON)


def _readable(ctx: Context, actor: Actor, thread_id: str) -> None:
    """A request the caller may not read is, for that caller, not there (404, not 403)."""
    if not access.may_read(ctx.home, actor, thread_id):
        raise NotFoundError(f"no request with thread id {thread_id!r}")


async def _accepted(
    ctx: Context, thread_id: str, future: Future[Any], wait: bool, notes: Sequence[str] = ()
) -> Response:
    """The run's result (``wait``) or where to follow it; with the model's reading notes."""
    extra = {"notes": list(notes)} if notes else {}
    if wait:
        data = await run_in_threadpool(future.result)
        return json_body(ctx.redactor, {**data, **extra} if isinstance(data, dict) else data)
    links = {"self": f"/requests/{thread_id}", "events": f"/requests/{thread_id}/events"}
    return json_body(
        ctx.redactor,
        {"thread_id": thread_id, "status": "running", "links": links, **extra},
        202,
        Location=links["self"],
    )


@router.post("/requests", summary="Submit a change request (form or plain words)")
async def submit(
    body: Submission,
    ctx: Ctx,
    actor: Annotated[Actor, allowed("submit", "submit requests")],
    wait: Wait = False,
) -> Response:
    """202 with the thread id (follow ``/requests/{id}/events``); 422 lists open questions."""
    from opsteam.application.model import words_reader

    reader = words_reader(ctx.hub.team().settings, ctx.registry) if body.words else None
    reading = read_submission(
        words=body.words,
        answers=body.answers,
        form=body.form,
        registry=ctx.registry,
        requester=actor.name,
        reader=reader,
    )
    if reading.redirect is not None:
        r = reading.redirect
        summary = f"Redirected to {r.owner}: {r.reason}."
        return json_body(ctx.redactor, {"status": "redirected", "redirect": r, "summary": summary})
    if reading.request is None:
        questions = [q.model_dump() for q in reading.questions]
        lines = [f"missing: {q.field}: {q.question}" for q in reading.questions]
        return errors(ctx.redactor, 422, lines, questions=questions)
    thread_id, future = ctx.hub.submit(reading.request, actor.name, "api", reading.use)
    return await _accepted(ctx, thread_id, future, wait, notes=reading.notes)


@router.get("/requests", summary="List requests (a requester sees its own)")
def list_requests(
    ctx: Ctx,
    actor: Annotated[Actor, allowed("read-own", "read requests")],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> JSONResponse:
    rows = ctx.hub.team().threads(limit)
    if not actor.may("read-all"):
        mine = access.owned_threads(ctx.home, actor.name)
        rows = [r for r in rows if r.thread_id in mine]
    return json_body(ctx.redactor, [r.model_dump(mode="json") for r in rows])


@router.get("/requests/{thread_id}", summary="One request: result, pending checkpoints, diagram")
def get_request(
    thread_id: str, ctx: Ctx, actor: Annotated[Actor, allowed("read-own", "read requests")]
) -> JSONResponse:
    _readable(ctx, actor, thread_id)
    return json_body(ctx.redactor, ctx.hub.detail(thread_id).model_dump(mode="json"))


@router.get("/requests/{thread_id}/artifacts", summary="The request's artifacts")
def list_artifacts(
    thread_id: str, ctx: Ctx, actor: Annotated[Actor, allowed("read-own", "read requests")]
) -> JSONResponse:
    _readable(ctx, actor, thread_id)
    items = ctx.hub.team().status(thread_id).artifacts
    return json_body(ctx.redactor, [a.model_dump(mode="json") for a in items])


@router.get("/requests/{thread_id}/artifacts/{path:path}", summary="One artifact's content")
def get_artifact(
    thread_id: str,
    path: str,
    ctx: Ctx,
    actor: Annotated[Actor, allowed("read-own", "read requests")],
) -> PlainTextResponse:
    _readable(ctx, actor, thread_id)
    item = artifact(ctx.hub.team(), thread_id, path)
    return PlainTextResponse(ctx.redactor.text(item.content))


@router.get("/requests/{thread_id}/bundle", summary="Download the bundle (zip, with manifest)")
def get_bundle(
    thread_id: str, ctx: Ctx, actor: Annotated[Actor, allowed("read-own", "read requests")]
) -> Response:
    _readable(ctx, actor, thread_id)
    data = bundle_zip(ctx.hub.team(), thread_id)
    disposition = f'attachment; filename="{thread_id}.zip"'
    return Response(
        data, media_type="application/zip", headers={"Content-Disposition": disposition}
    )


@router.post("/requests/{thread_id}/decisions", summary="Approve, reject or request changes")
async def decide(
    thread_id: str,
    body: Decision,
    ctx: Ctx,
    actor: Annotated[Actor, allowed("decide", "decide checkpoints")],
    wait: Wait = False,
) -> Response:
    """The token's name is who decided (the audit records it); 202, or the result with wait."""
    _readable(ctx, actor, thread_id)
    ask = DecisionAsk(body.verdict, body.checkpoint, body.all, body.reason)
    future = await run_in_threadpool(ctx.hub.decide, thread_id, ask, actor.name)
    return await _accepted(ctx, thread_id, future, wait)


@router.get("/requests/{thread_id}/events", summary="Server-sent events of the request's runs")
async def events(
    thread_id: str,
    request: Request,
    ctx: Ctx,
    actor: Annotated[Actor, allowed("read-own", "read requests")],
    last_event_id: Annotated[int, Header(ge=0)] = 0,
) -> StreamingResponse:
    """``progress`` per step, then ``result`` (or ``error``); replayed from the start."""
    _readable(ctx, actor, thread_id)
    log = ctx.hub.log(thread_id)
    current = None
    if log is None:  # not run by this server: its state now, once
        current = await run_in_threadpool(ctx.hub.detail, thread_id)

    async def stream() -> AsyncIterator[str]:
        if log is None:
            assert current is not None
            yield sse(ctx.redactor, "result", current.model_dump(mode="json"))
            return
        seq, ticks = last_event_id, 0
        while True:
            fresh, done = log.since(seq)
            for event in fresh:
                seq = event.seq
                yield sse(ctx.redactor, event.kind, event.data, event.seq)
            if done or await request.is_disconnected():
                return
            await asyncio.sleep(0.1)
            ticks += 1
            if ticks % KEEPALIVE_TICKS == 0:
                yield ": keepalive\n\n"

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
