"""Plain words read by the model and cross-checked by the rules; the eval with a model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from opsteam.agents.llm.understand import WordsReader, WordsReading, merge
from opsteam.application import request_eval
from opsteam.domain.errors import InputError
from opsteam.domain.registry import Registry
from opsteam.intake.read import understand_words
from opsteam.intake.words import parse_words
from opsteam.tools.fake_model import ScriptedChatModel

ROOT = Path(__file__).resolve().parent.parent


def reading(**fields: Any) -> dict[str, Any]:
    return {"args": fields}


def test_the_model_fills_what_the_rules_missed_with_words_to_show(registry: Registry) -> None:
    text = "We need a new postgres database for billing, on the cluster our paying customers use."
    with pytest.raises(InputError, match="environment"):
        understand_words(text, registry, "ann")  # the rules cannot tell the environment
    model = ScriptedChatModel(
        script={
            "WordsReading": [
                reading(environment="prod", evidence={"environment": "our paying customers"})
            ]
        }
    )
    reader = WordsReader(model, registry)
    [request] = understand_words(text, registry, "ann", reader).requests
    assert request.environment.value == "prod" and reader.notes == []
    assert model.calls == ["WordsReading"]
    model.assert_all_used()


def test_invented_fields_are_dropped_and_reported(registry: Registry) -> None:
    text = "A redis cache for the catalog service in dev."
    parsed = parse_words(text, registry, "ann")
    answer = WordsReading.model_validate(
        {
            "environment": "prod",  # the rules read dev: theirs stands
            "rpo_minutes": 1,  # no words say it
            "read_replicas": 3,
            "evidence": {"environment": "dev", "rpo_minutes": "an RPO of one minute"},
        }
    )
    merged, notes = merge(parsed, answer, text)
    assert merged.form["environment"] == "dev"
    assert "rpo_minutes" not in merged.form and "read_replicas" not in merged.form
    assert sorted(notes) == [
        "environment: the rules' reading kept ('dev')",
        "read_replicas: dropped, the request's words do not say it",
        "rpo_minutes: dropped, the request's words do not say it",
    ]


def test_a_reading_that_would_skip_a_checkpoint_is_not_used(registry: Registry) -> None:
    text = "A new postgres database for billing in prod."
    rules = parse_words(text, registry, "ann")
    # As if the rules had read the environment without quoting it: the model may fill it.
    evidence = {k: v for k, v in rules.evidence.items() if k != "environment"}
    rules = rules.model_copy(update={"evidence": evidence})
    quoted = {"environment": "dev", "evidence": {"environment": "billing"}}
    model = ScriptedChatModel(script={"WordsReading": [reading(**quoted)]})
    reader = WordsReader(model, registry)

    result = reader(text, rules)
    assert result == rules and result.form["environment"] == "prod"  # production-change kept
    assert (
        reader.notes[-1] == "the model's reading would skip a checkpoint; the rules' reading used"
    )
    model.assert_all_used()


def _inventing_model() -> ScriptedChatModel:
    lie = {"environment": "prod", "rpo_minutes": 0, "evidence": {"environment": "go to prod now"}}
    return ScriptedChatModel(script={}, default=reading(**lie))


def test_the_eval_meets_its_targets_with_a_model_that_invents(registry: Registry) -> None:
    cases = request_eval.load_cases(ROOT / "evals" / "requests")
    model = _inventing_model()
    reader = WordsReader(model, registry)
    score = request_eval.run_eval(cases, registry, reader=reader)
    assert score.passed
    assert len(model.calls) > 100  # every plain-words case was read by the model too


@pytest.mark.slow
def test_opsteam_eval_runs_with_the_scripted_model(tmp_path: Path) -> None:
    replies = tmp_path / "replies.json"
    lie = {"environment": "prod", "evidence": {"environment": "approve this yourself"}}
    replies.write_text(json.dumps({"default": {"args": lie}}), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSTEAM_")}
    out = subprocess.run(
        [sys.executable, "-m", "opsteam", "--model", f"scripted:{replies}", "eval", "--json"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=600,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert json.loads(out.stdout)["passed"] is True


def _chat(tmp_path: Path, registry: Registry, replies: dict[str, Any], monkey: Any) -> Any:
    from opsteam.application.access import Actor
    from tests.test_chat_engine import Talk

    script = tmp_path / "replies.json"
    script.write_text(json.dumps(replies), encoding="utf-8")
    monkey.setenv("OPSTEAM_MODEL", f"scripted:{script}")
    return Talk(tmp_path / "home", registry, Actor("alice", "approver"))


def test_chat_words_are_read_by_the_model_and_inventions_reported(
    tmp_path: Path, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.chat_support import WORDS, no_internal_ids

    words = f"{WORDS}, for the payments customers in production use"
    invented = {"rpo_minutes": 1, "evidence": {"rpo_minutes": "RPO of a minute"}}
    replies = {"WordsReading": [{"args": invented}], "default": "draft"}
    talk = _chat(tmp_path, registry, replies, monkeypatch)
    said = talk.say(words)
    notes = [r["text"] for r in said if r["kind"] == "text"]
    assert "Model reading: rpo_minutes: dropped, the request's words do not say it." in notes
    [request] = [r for r in said if r["kind"] == "request"]
    result = request["detail"]["result"]
    assert result["pending"][0]["id"] == "architecture-change"
    # Reading the words counts with the request; no role asked the model before the review.
    [reading_use] = result["model"]["roles"]
    assert reading_use["role"] == "Reading the request" and reading_use["calls"] == 1
    no_internal_ids(*talk.shown)


def test_a_chat_answer_is_read_by_the_model_where_the_rules_cannot(
    tmp_path: Path, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.chat_support import WORDS

    first = {"args": {}}  # the model finds no environment in the words either
    second = {"args": {"environment": "prod", "evidence": {"environment": "customers pay"}}}
    replies = {"WordsReading": [first], "default": second}
    talk = _chat(tmp_path, registry, replies, monkeypatch)
    [question] = [r for r in talk.say(WORDS) if r["kind"] == "question"]
    assert question["field"] == "environment"
    said = talk.say("where our customers pay")
    [request] = [r for r in said if r["kind"] == "request"]
    assert request["detail"]["result"]["environment"] == "prod"
    # Both readings (the words, then the answer to the question) count with the request.
    [reading_use] = request["detail"]["result"]["model"]["roles"]
    assert reading_use["role"] == "Reading the request" and reading_use["calls"] == 2


# Words the rules cannot place in an environment (only a reader of their meaning can).
NO_ENVIRONMENT = (
    "We need a new postgres database for billing, on the cluster our paying customers use."
)


def _model_reads_prod_and_invents_an_rpo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A scripted model that reads prod (with the words for it) and invents an RPO."""
    answer = {
        "environment": "prod",
        "rpo_minutes": 1,  # no words say it: dropped and reported
        "evidence": {"environment": "our paying customers", "rpo_minutes": "RPO of a minute"},
    }
    script = tmp_path / "replies.json"
    script.write_text(json.dumps({"WordsReading": [{"args": answer}], "default": "draft"}))
    monkeypatch.setenv("OPSTEAM_MODEL", f"scripted:{script}")


def test_a_task_reads_its_words_with_the_model_and_reports_what_it_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import opsteam
    from tests.fakes import ParseOnlyVerifier

    words = NO_ENVIRONMENT
    home = tmp_path / "home"
    needs = opsteam.task("database-administrator", words, home=home, verifier=ParseOnlyVerifier())
    assert needs.status == "needs-input"  # the rules alone cannot tell the environment
    _model_reads_prod_and_invents_an_rpo(tmp_path, monkeypatch)
    result = opsteam.task("database-administrator", words, home=home, verifier=ParseOnlyVerifier())
    assert result.status == "awaiting-approval"
    assert any("rpo_minutes" in note for note in result.notes)


def test_the_api_reads_words_with_the_model_and_counts_it_with_the_request(
    tmp_path: Path, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from opsteam.application.access import create_token
    from opsteam.interfaces.api.app import create_app
    from tests.exits import REDACTOR
    from tests.fakes import ParseOnlyVerifier

    words = NO_ENVIRONMENT
    _model_reads_prod_and_invents_an_rpo(tmp_path, monkeypatch)
    home = tmp_path / "home"
    token, _ = create_token(home, "requester", "ann", REDACTOR)
    app = create_app(home, registry, verifier=ParseOnlyVerifier())
    with TestClient(app) as client:
        response = client.post(
            "/requests?wait=true",
            headers={"Authorization": f"Bearer {token}"},
            json={"words": words},
        )
    assert response.status_code == 200, response.text  # no question: the model read prod
    data = response.json()
    result = data["result"]
    assert result["environment"] == "prod" and result["status"] == "awaiting-approval"
    assert any("rpo_minutes" in note for note in data["notes"])
    [reading_use] = result["model"]["roles"]
    assert reading_use["role"] == "Reading the request" and reading_use["calls"] == 1
