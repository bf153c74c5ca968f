"""The API's single exit: every body, error and event passes the roster's redactor.

Errors have one shape, the command line's ``--json`` one: ``{"errors": ["..."]}``, one line
per problem, with the status code saying which kind (401, 403, 404, 409, 413, 422...).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from opsteam.application.access import ForbiddenError
from opsteam.domain.errors import (
    ConflictError,
    InputError,
    NotFoundError,
    OpsteamError,
    describe_validation_error,
)
from opsteam.domain.redaction import Redactor


class Unauthorized(Exception):
    """No token, or one the store does not know."""


def redactor_of(request: Request) -> Redactor:
    redactor: Redactor = request.app.state.redactor
    return redactor


def json_body(redactor: Redactor, data: Any, status: int = 200, **headers: str) -> JSONResponse:
    """Redacted JSON: the only way the API answers with data."""
    return JSONResponse(redactor.value(data), status_code=status, headers=headers or None)


def sse(redactor: Redactor, event: str, data: Any, seq: int | None = None) -> str:
    """One server-sent event, its data redacted JSON on one line."""
    body = json.dumps(redactor.value(data), ensure_ascii=False, separators=(",", ":"))
    head = f"id: {seq}\n" if seq is not None else ""
    return f"{head}event: {event}\ndata: {body}\n\n"


def errors(redactor: Redactor, status: int, lines: list[str], **extra: Any) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    return json_body(redactor, {"errors": lines, **extra}, status, **headers)


_STATUS: tuple[tuple[type[OpsteamError], int], ...] = (
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (InputError, 422),
)


def _validation_lines(exc: RequestValidationError) -> tuple[int, list[str]]:
    lines = []
    status = 422
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            status = 400
            lines.append(f"body: malformed JSON ({err.get('ctx', {}).get('error', 'invalid')})")
            continue
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if err.get("type") == "missing":
            message = "required field is missing"
        elif err.get("type") == "extra_forbidden":
            message = "unknown field"
        lines.append(f"{where}: {message}")
    return status, lines


def install(app: FastAPI) -> None:
    """Map every error to its status and one-line-per-problem body."""

    @app.exception_handler(OpsteamError)
    async def _known(request: Request, exc: OpsteamError) -> Response:
        status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 500)
        return errors(redactor_of(request), status, exc.lines())

    @app.exception_handler(Unauthorized)
    async def _unauthorized(request: Request, exc: Unauthorized) -> Response:
        return errors(redactor_of(request), 401, [str(exc)])

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        status, lines = _validation_lines(exc)
        return errors(redactor_of(request), status, lines)

    @app.exception_handler(ValidationError)
    async def _invalid_model(request: Request, exc: ValidationError) -> Response:
        return errors(redactor_of(request), 422, describe_validation_error(exc))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        return errors(redactor_of(request), exc.status_code, [str(exc.detail)])

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> Response:
        return errors(redactor_of(request), 500, [f"internal error: {type(exc).__name__}"])
