"""What a person sends, in whatever shape: a form file (YAML/JSON) or plain words.

One entry point for every way in. A document whose fields are the form's is a form; plain
text, or a document with none of the form's fields, is a request in words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from opsteam.domain.errors import InputError, UnsafeInputError
from opsteam.domain.models import ChangeRequest, Redirect
from opsteam.domain.naming import named_for_artifacts
from opsteam.domain.redaction import Redactor
from opsteam.domain.registry import Registry
from opsteam.intake.forms import MAX_INPUT_BYTES, load_document, parse_forms
from opsteam.intake.scope import redirect_for
from opsteam.intake.vocabulary import normalize_form
from opsteam.intake.words import Parsed, parse_words, to_request

FORM_FIELDS = frozenset(ChangeRequest.model_fields) | {"requests"}
HINT = "say it in the text (e.g. 'in prod'), or send the form (see examples/*.yaml)"
# A second reader of plain words (the chat model), cross-checked against the rules' reading.
Reader = Callable[[str, Parsed], Parsed]


class Understood(BaseModel):
    """Requests ready to run, or a redirect of words that belong to another division."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    requests: list[ChangeRequest] = Field(default_factory=list)
    redirect: Redirect | None = None
    words: Parsed | None = None


def _is_form(data: Any) -> bool:
    if isinstance(data, dict):
        return bool(FORM_FIELDS & set(data))
    return isinstance(data, list) and all(isinstance(i, dict) for i in data) and bool(data)


def read_words(text: str, registry: Registry, requester: str) -> Understood:
    """Words checked (size, not empty) and read by the rules: a redirect, or their reading."""
    if len(text.encode("utf-8")) > MAX_INPUT_BYTES:
        raise InputError(f"words: longer than {MAX_INPUT_BYTES // 1024} KiB")
    if not text.strip():
        raise InputError("words: the request is empty")
    parsed = parse_words(text, registry, requester)
    return Understood(redirect=redirect_for(text, text, registry), words=parsed)


def understand_words(
    text: str, registry: Registry, requester: str, reader: Reader | None = None
) -> Understood:
    """A plain-words request: redirected, or a validated request; missing facts are refused."""
    first = read_words(text, registry, requester)
    if first.redirect is not None:
        return first
    parsed = first.words
    assert parsed is not None
    if reader is not None:
        parsed = reader(text, parsed)
    request, problems = to_request(parsed)
    if request is None:
        raise InputError(problems[0] + f"; {HINT}", [*problems[:-1], problems[-1] + f"; {HINT}"])
    return Understood(requests=[request], words=parsed)


def read_requests(
    raw: bytes, source: str, registry: Registry, requester: str, reader: Reader | None = None
) -> Understood:
    """Form or words, validated before anything runs or is stored."""
    if len(raw) > MAX_INPUT_BYTES:
        load_document(raw, source)  # raises the size error, naming the limit
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{source}: input is not UTF-8 text") from None
    try:
        data = load_document(raw, source)
    except UnsafeInputError:
        raise
    except InputError:
        if text.lstrip()[:1] in "[{":  # JSON that does not parse is a broken form
            raise
        data = None  # not YAML either: plain words
    if _is_form(data):
        try:
            requests = parse_forms(data, source, registry.routing)
            redactor = Redactor.for_registry(registry)
            return Understood(requests=[named_for_artifacts(r, redactor) for r in requests])
        except InputError:
            redirect = form_redirect(data, registry)  # another division's: missing fields moot
            if redirect is None:
                raise
            return Understood(redirect=redirect)
    return understand_words(text, registry, requester, reader)


def form_redirect(data: Any, registry: Registry) -> Redirect | None:
    """The redirect of a single form that does not validate (e.g. no environment given)."""
    if not isinstance(data, dict):
        return None
    form = normalize_form(data, registry.routing)
    if form.get("component") != "other":
        return None
    parts = ("request", "description", "component_words", "justification", "impact")
    words = {name: str(form.get(name) or "") for name in parts}
    asked = " ".join(words[n] for n in ("request", "description", "component_words"))
    return redirect_for(" ".join(words.values()), asked, registry)
