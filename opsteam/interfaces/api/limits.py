"""A cap on request bodies: a larger body is refused with 413 before any endpoint reads it."""

from __future__ import annotations

import json

from opsteam.domain.redaction import Redactor
from opsteam.interfaces.api.metrics import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 256 * 1024


class BodyLimit:
    def __init__(self, app: ASGIApp, redactor: Redactor, limit: int = MAX_BODY_BYTES) -> None:
        self.app, self.redactor, self.limit = app, redactor, limit

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {"errors": [f"body: larger than {self.limit // 1024} KiB (limit {self.limit} bytes)"]}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Read the body (at most the limit) before the endpoint does, then replay it."""
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = bool(message.get("more_body", False))
            if size > self.limit:
                await self._refuse(send)
                return
        pending: list[Message] = [{"type": "http.request", "body": b"".join(chunks)}]

        async def replay() -> Message:
            return pending.pop() if pending else await receive()

        await self.app(scope, replay, send)
