"""Intake: turn a user's file into validated change requests, and check the division's scope.

Everything is validated before anything runs or is stored, so bad input changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from pydantic import ValidationError

from opsteam.domain.errors import InputError, UnsafeInputError, describe_validation_error
from opsteam.domain.models import ChangeRequest
from opsteam.domain.request_routing import RequestRouting
from opsteam.domain.yamlio import MAX_INT_DIGITS, UnsafeYaml, load_strict
from opsteam.intake.hints import form_hints
from opsteam.intake.vocabulary import normalize_form

MAX_INPUT_BYTES = 256 * 1024
MAX_REQUESTS = 50
_KINDS = {
    "str": "text",
    "int": "a number",
    "float": "a number",
    "bool": "true/false",
    "list": "a list",
}


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a valid JSON value")


def _json_int(text: str) -> int:
    digits = sum(c.isdigit() for c in text)
    if digits > MAX_INT_DIGITS:
        raise ValueError(f"a number has {digits} digits, at most {MAX_INT_DIGITS}")
    return int(text)


def load_document(raw: bytes, source: str) -> Any:
    """Parse JSON or YAML (JSON is tried first when the text looks like JSON)."""
    if len(raw) > MAX_INPUT_BYTES:
        raise InputError(
            f"{source}: input is larger than {MAX_INPUT_BYTES // 1024} KiB; "
            f"the limit is {MAX_INPUT_BYTES} bytes"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{source}: input is not UTF-8 text") from None
    if not text.strip():
        raise InputError(f"{source}: input is empty")
    try:
        return _parse(text, source)
    except RecursionError:
        raise InputError(f"{source}: input is nested too deeply") from None
    except UnsafeYaml as exc:
        raise UnsafeInputError(f"{source}: {exc}") from None


def _parse(text: str, source: str) -> Any:
    if text.lstrip()[:1] in "[{":
        try:
            return json.loads(text, parse_constant=_no_constant, parse_int=_json_int)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{source}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
            ) from None
        except ValueError as exc:
            raise InputError(f"{source}: malformed JSON: {exc}") from None
    try:
        return load_strict(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise InputError(f"{source}: malformed YAML{where}: {problem}") from None


def parse_requests(
    raw: bytes, source: str = "input", routing: RequestRouting | None = None
) -> list[ChangeRequest]:
    """One request (a mapping) or several (a list, or a mapping with ``requests:``).

    With the roster's ``routing`` data, the form's type, environment and component accept
    the words people use (an unknown component word is kept, never refused).
    """
    data = load_document(raw, source)
    return parse_forms(data, source, routing)


def prepare_form(item: dict[str, Any], routing: RequestRouting) -> dict[str, Any]:
    """A form's words normalised through the roster's vocabulary, with the optional facts its
    description states filled in (never overwriting what the person filled)."""
    form = normalize_form(item, routing)
    return {**form, **form_hints(form, routing)}


def parse_forms(
    data: Any, source: str, routing: RequestRouting | None = None
) -> list[ChangeRequest]:
    """Validated requests from already-parsed form data (one mapping or a list)."""
    if isinstance(data, dict) and set(data) == {"requests"}:
        data = data["requests"]
    items = data if isinstance(data, list) else [data]
    if not items:
        raise InputError(f"{source}: the list of requests is empty")
    if len(items) > MAX_REQUESTS:
        raise InputError(f"{source}: {len(items)} requests, limit is {MAX_REQUESTS}")
    requests: list[ChangeRequest] = []
    problems: list[str] = []
    for index, item in enumerate(items):
        prefix = f"{source}: " if len(items) == 1 else f"{source}: request[{index}]."
        if not isinstance(item, dict):
            what = f"{source}: the request" if len(items) == 1 else prefix.rstrip(".")
            got = type(item).__name__ if item is not None else "nothing"
            problems.append(f"{what} must be a mapping of form fields, got {_KINDS.get(got, got)}")
            continue
        form = prepare_form(item, routing) if routing is not None else item
        try:
            requests.append(ChangeRequest.model_validate(form))
        except ValidationError as exc:
            problems.extend(describe_validation_error(exc, prefix=prefix))
    if problems:
        raise InputError(problems[0], problems)
    return requests
