"""Reading chat lines and answers: pure functions, no graph."""

from __future__ import annotations

import pytest

from opsteam.application.chat.intent import read_line
from opsteam.domain.registry import Registry
from opsteam.intake.answers import answer, answer_all, read_open
from opsteam.intake.words import parse_words
from opsteam.interfaces.chat.render import sparkline

CHECKPOINTS = frozenset({"architecture-change", "production-change"})
WORDS = "We need a new Postgres database for the billing service because the launch is soon"


@pytest.mark.parametrize(
    ("line", "kind", "text", "checkpoint", "all_pending"),
    [
        ("approve", "approve", "", None, False),
        ("LGTM", "approve", "", None, False),
        ("approve all", "approve", "", None, True),
        (
            "approve production-change: window agreed",
            "approve",
            "window agreed",
            "production-change",
            False,
        ),
        ("reject: too expensive", "reject", "too expensive", None, False),
        (
            "reject architecture-change because it adds a region",
            "reject",
            "it adds a region",
            "architecture-change",
            False,
        ),
        ("reject", "reject", "", None, False),
        ("changes: use two read replicas", "changes", "use two read replicas", None, False),
        (
            "request changes production-change - move it to eu-west-1",
            "changes",
            "move it to eu-west-1",
            "production-change",
            False,
        ),
    ],
)
def test_decisions_read_their_checkpoint_and_reason(
    line: str, kind: str, text: str, checkpoint: str | None, all_pending: bool
) -> None:
    intent = read_line(line, asking=False, checkpoints=CHECKPOINTS)
    assert (intent.kind, intent.text, intent.checkpoint, intent.all_pending) == (
        kind,
        text,
        checkpoint,
        all_pending,
    )


def test_a_hyphenated_reason_word_is_not_taken_for_a_checkpoint() -> None:
    intent = read_line("reject: not-needed anymore", asking=False, checkpoints=CHECKPOINTS)
    assert intent.checkpoint is None and intent.text == "not-needed anymore"


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("who is on call", "oncall"),
        ("who's on call now?", "oncall"),
        ("oncall", "oncall"),
        ("incidents", "incidents"),
        ("open incidents", "incidents"),
        ("kpis", "kpis"),
        ("KPIs", "kpis"),
        ("status", "status"),
        ("status of my requests", "status"),
        ("artifacts", "artifacts"),
        ("quit", "quit"),
        ("help", "help"),
        ("cancel", "cancel"),
        ("", "empty"),
        ("   ", "empty"),
    ],
)
def test_lookups(line: str, kind: str) -> None:
    assert read_line(line, asking=False).kind == kind


def test_status_and_show_name_a_thread() -> None:
    status = read_line("status chg-0123456789ab", asking=False)
    assert status.kind == "status" and status.thread == "chg-0123456789ab"
    show = read_line("show terraform/main.tf chg-0123456789ab", asking=False)
    assert (show.kind, show.text, show.thread) == ("show", "terraform/main.tf", "chg-0123456789ab")


def test_anything_else_is_a_request_or_the_answer_to_the_open_question() -> None:
    assert read_line(WORDS, asking=False).kind == "request"
    assert read_line("production", asking=True).kind == "answer"
    # a request that starts like a word of a command is still a request
    assert read_line("statuspage integration for the shop in prod", asking=False).kind == "request"


def test_words_without_an_environment_are_asked_never_guessed(registry: Registry) -> None:
    understood = read_open(WORDS, registry, "alice")
    assert understood.requests == [] and understood.redirect is None
    assert understood.words is not None and understood.words.missing == ["environment"]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [("prod", "prod"), ("production please", "prod"), ("in staging", "staging"), ("DEV", "dev")],
)
def test_an_answer_fills_the_asked_field(registry: Registry, reply: str, expected: str) -> None:
    parsed = answer(parse_words(WORDS, registry, "alice"), "environment", reply, registry)
    assert parsed.missing == [] and parsed.problems == []
    assert parsed.form["environment"] == expected
    assert parsed.evidence["environment"].startswith("answered: ")


def test_an_answer_that_names_no_environment_leaves_the_question_open(registry: Registry) -> None:
    parsed = answer(parse_words(WORDS, registry, "alice"), "environment", "the moon", registry)
    assert parsed.missing == ["environment"]
    assert parsed.problems and "names no environment" in parsed.problems[0]
    assert "environment" not in parsed.form


def test_the_answer_is_merged_into_the_form_and_nothing_else_changes(registry: Registry) -> None:
    before = parse_words(WORDS, registry, "alice")
    after = answer(before, "environment", "prod", registry)
    assert {k: v for k, v in after.form.items() if k != "environment"} == before.form


def test_api_answers_refuse_unknown_questions(registry: Registry) -> None:
    from opsteam.domain.errors import InputError

    with pytest.raises(InputError, match="not a question"):
        answer_all(parse_words(WORDS, registry, "a"), {"colour": "blue"}, registry)
    with pytest.raises(InputError, match=r"answers\.environment"):
        answer_all(parse_words(WORDS, registry, "a"), {"environment": "mars"}, registry)


def test_sparkline_scales_and_leaves_gaps() -> None:
    assert sparkline([None, None]) == "-"
    assert sparkline([0.0, None, 10.0]) == "▁ █"
