"""The request eval scores what the team would do for each labelled case, and fails below
its targets; a team adds its own cases in the same format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from opsteam.application.eval_scores import Targets
from opsteam.application.request_eval import load_cases, run_eval
from opsteam.domain.errors import InputError
from opsteam.domain.registry import Registry
from tests.test_cli import run

RIGHT = {
    "id": "prod-billing-db",
    "text": "we need a Postgres database for billing in prod, RPO 5 minutes",
    "expect": {
        "specialists": ["network-engineer", "database-administrator"],
        "checkpoints": ["architecture-change", "production-change"],
        "fields": {"environment": "prod", "engine": "postgres", "rpo_minutes": 5},
    },
}
WRONG = {
    "id": "mislabelled",
    "text": "open 443 from 203.0.113.0/24 to the bastion in prod",
    "expect": {"specialists": ["database-administrator"], "checkpoints": []},
}


def write(tmp_path: Path, *cases: dict[str, object]) -> Path:
    path = tmp_path / "cases.yaml"
    path.write_text(yaml.safe_dump(list(cases)))
    return path


def test_a_right_case_scores_full_marks(tmp_path: Path, registry: Registry) -> None:
    score = run_eval(load_cases(write(tmp_path, RIGHT)), registry)
    assert score.passed and score.specialists_exact == 1.0 and score.field_accuracy == 1.0
    assert score.checkpoint_recall == 1.0 and score.checkpoint_precision == 1.0


def test_a_wrong_label_is_a_listed_miss_and_fails_the_targets(
    tmp_path: Path, registry: Registry
) -> None:
    score = run_eval(load_cases(write(tmp_path, RIGHT, WRONG)), registry, Targets())
    assert score.specialists_exact == 0.5
    assert score.checkpoint_precision < 1.0  # production-change was not labelled
    assert not score.passed and any("specialist" in m for m in score.missed_targets)


def test_a_malformed_case_is_refused_naming_it(tmp_path: Path) -> None:
    bad = {**RIGHT, "expect": {"specialists": ["wizard"]}, "surprise": 1}
    with pytest.raises(InputError, match=r"prod-billing-db|surprise|cases\.yaml"):
        load_cases(write(tmp_path, bad))


@pytest.mark.slow
def test_the_cli_prints_scores_and_exits_by_target(tmp_path: Path) -> None:
    home = tmp_path / "home"
    passing = run(home, "eval", str(write(tmp_path, RIGHT)), "--json")
    assert passing.returncode == 0, passing.stderr
    report = json.loads(passing.stdout)
    assert report["passed"] is True
    failing = run(home, "eval", str(write(tmp_path, RIGHT, WRONG)))
    assert failing.returncode == 1 and "mislabelled" in failing.stdout
