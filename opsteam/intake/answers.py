"""Answers to the questions plain words left open, merged into the parsed form.

A conversation asks for each missing required field instead of guessing; the person's answer
is read with the same vocabulary as the request itself and only fills what was asked (and any
other still-missing required field the answer states). An answer that names no environment
leaves the question open with a problem saying why: the environment is never assumed.
"""

from __future__ import annotations

from opsteam.domain.errors import InputError
from opsteam.domain.models import ChangeRequest
from opsteam.domain.registry import Registry
from opsteam.intake.read import Understood, read_words
from opsteam.intake.vocabulary import lookup
from opsteam.intake.words import REQUIRED, Parsed, parse_words, to_request

MAX_ANSWER = 500


def _from_words(field: str, text: str, registry: Registry) -> tuple[object, str] | None:
    """The field's value as the words parser reads it, or a whole-answer synonym."""
    heard = parse_words(text, registry, "")
    if field in heard.form and field not in heard.missing:
        return heard.form[field], heard.evidence.get(field, text)
    synonyms = registry.routing.synonyms
    table = synonyms.environment if field == "environment" else synonyms.component
    canonical = lookup(table, text)
    return (canonical, text) if canonical is not None else None


def answer(parsed: Parsed, field: str, text: str, registry: Registry) -> Parsed:
    """``parsed`` with ``field`` answered by ``text``; still missing (with a problem) if not."""
    text = " ".join(text.split())[:MAX_ANSWER]
    if field not in parsed.missing:
        return parsed
    form, evidence = dict(parsed.form), dict(parsed.evidence)
    missing = list(parsed.missing)
    for wanted in [field, *(m for m in parsed.missing if m != field)]:
        found = _from_words(wanted, text, registry) if text else None
        if found is None and wanted == "component" == field and text:
            found = ("other", text)  # open vocabulary: any component word is kept
            form["component_words"] = text[:200]
        if found is None:
            continue
        form[wanted], words = found
        evidence[wanted] = f"answered: {words}"
        missing.remove(wanted)
    problems = []
    if field in missing:
        problems.append(f"{text!r} names no {REQUIRED.get(field, field)}" if text else "no answer")
    return Parsed(form=form, evidence=evidence, missing=missing, problems=problems)


def read_open(text: str, registry: Registry, requester: str) -> Understood:
    """Like ``understand_words``, but missing required fields come back to be asked about.

    The result has a redirect, or a request, or neither: then ``words.missing`` lists the
    questions to ask (``words.questions()``).
    """
    first = read_words(text, registry, requester)
    parsed = first.words
    if first.redirect is not None or parsed is None:
        return first
    if parsed.missing:
        return Understood(words=parsed)
    return Understood(requests=[complete(parsed)], words=parsed)


def complete(parsed: Parsed) -> ChangeRequest:
    """The validated request once every question is answered; the problems otherwise."""
    request, problems = to_request(parsed)
    if request is None:
        raise InputError(problems[0], problems)
    return request


def answer_all(parsed: Parsed, answers: dict[str, str], registry: Registry) -> Parsed:
    """Several answers at once (the API's ``answers``); unknown fields are refused."""
    unknown = sorted(set(answers) - set(REQUIRED))
    if unknown:
        raise InputError(
            f"answers: {', '.join(unknown)} is not a question the team asks "
            f"(questions: {', '.join(REQUIRED)})"
        )
    for field, text in answers.items():
        parsed = answer(parsed, field, text, registry)
        if parsed.problems:
            raise InputError(f"answers.{field}: {parsed.problems[0]}")
    return parsed
