"""What every endpoint works with: the data home, the roster, its redactor, the run hub."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from opsteam.application.access import Action, Actor, authenticate
from opsteam.application.runs import RunHub
from opsteam.domain.redaction import Redactor
from opsteam.domain.registry import Registry
from opsteam.graphs.request import Verifier
from opsteam.interfaces.api.exits import Unauthorized
from opsteam.interfaces.api.metrics import Metrics


@dataclass
class Context:
    home: Path
    registry: Registry
    redactor: Redactor
    hub: RunHub
    metrics: Metrics
    verifier: Verifier | None = None
    busy: set[str] = field(default_factory=set)  # conversations answering a message
    lock: threading.Lock = field(default_factory=threading.Lock)


def context(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


Ctx = Annotated[Context, Depends(context)]
_bearer = HTTPBearer(auto_error=False, description="A token from: opsteam token create")


def allowed(action: Action, what: str) -> object:
    """A dependency: the caller's actor, refused with 401 (no/unknown token) or 403 (role)."""

    def dependency(
        ctx: Ctx,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Actor:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise Unauthorized("a bearer token is required (Authorization: Bearer TOKEN)")
        actor = authenticate(ctx.home, credentials.credentials.strip())
        if actor is None:
            raise Unauthorized("unknown or revoked token")
        actor.require(action, what)
        return actor

    return Depends(dependency)
