"""A submission through the API: a form, or words with answers to the team's questions.

Shared by the HTTP API and the chats so both ask the same questions in the same words, and
neither guesses a field the words left open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from opsteam.domain.errors import InputError
from opsteam.domain.model_use import ModelUse
from opsteam.domain.models import ChangeRequest, Redirect
from opsteam.domain.registry import Registry
from opsteam.intake.answers import answer_all, complete, read_open
from opsteam.intake.forms import parse_forms
from opsteam.intake.words import Parsed

if TYPE_CHECKING:
    from opsteam.agents.llm.understand import WordsReader

QUESTIONS = {
    "environment": "Which environment is this for: dev, staging or prod?",
    "component": "What should the team build or change (a server, database, cache, network...)?",
}


class Question(BaseModel):
    field: str
    question: str


class Reading(BaseModel):
    """A request ready to run, a redirect, or the questions still open."""

    request: ChangeRequest | None = None
    redirect: Redirect | None = None
    questions: list[Question] = Field(default_factory=list)
    # With a chat model: what its reading cost, and what it proposed that the rules dropped.
    use: ModelUse | None = None
    notes: list[str] = Field(default_factory=list)


def questions_for(parsed: Parsed) -> list[Question]:
    return [
        Question(field=m, question=QUESTIONS.get(m, f"What is the {m}?")) for m in parsed.missing
    ]


def read_submission(
    *,
    words: str | None,
    answers: dict[str, str],
    form: dict[str, Any] | None,
    registry: Registry,
    requester: str,
    reader: WordsReader | None = None,
) -> Reading:
    """Exactly one of ``words`` (with optional ``answers``) and ``form``; with a ``reader``
    (a chat model's), the words are read by it too and cross-checked by the rules."""
    if (words is None) == (form is None):
        raise InputError("send either words (plain text) or form (the change-request fields)")
    if form is not None:
        if answers:
            raise InputError("answers: only words have questions to answer")
        requests = parse_forms(form, "form", registry.routing)
        if len(requests) != 1:
            raise InputError("form: one request per submission")
        return Reading(request=requests[0])
    assert words is not None
    understood = read_open(words, registry, requester)
    if understood.redirect is not None:
        return Reading(redirect=understood.redirect)
    assert understood.words is not None
    parsed = understood.words if reader is None else reader(words, understood.words)
    parsed = answer_all(parsed, answers, registry)
    read = {"use": reader.use, "notes": list(reader.notes)} if reader is not None else {}
    if parsed.missing:
        return Reading(questions=questions_for(parsed), **read)
    return Reading(request=complete(parsed), **read)
