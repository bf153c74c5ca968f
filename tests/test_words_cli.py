"""Issue 8's "done when", through the installed `opsteam` command: plain words on stdin run
the same flow as the equivalent form, a missing environment exits 2 naming it, and a form
whose component is CI/CD is redirected with exit 0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.test_cli import run

pytestmark = pytest.mark.slow

WORDS = "we need a Postgres database for billing in prod, RPO 5 minutes"


def test_words_on_stdin_run_the_same_flow_as_the_form(tmp_path: Path) -> None:
    home = tmp_path / "home"
    said = run(home, "submit", "-", "--json", stdin=WORDS)
    assert said.returncode == 3, said.stderr  # paused at a human checkpoint
    words = json.loads(said.stdout)
    form = {
        "request": WORDS,
        "type": "New",
        "component": "Database",
        "description": WORDS,
        "justification": "not stated in the request",
        "timeline": "not stated in the request",
        "impact": "not stated in the request",
        "requester": "tester",
        "environment": "prod",
        "service": "billing",
        "engine": "postgres",
        "rpo_minutes": 5,
    }
    (tmp_path / "form.yaml").write_text(yaml.safe_dump(form))
    filed = json.loads(run(home, "submit", str(tmp_path / "form.yaml"), "--json").stdout)
    for key in ("status", "design", "team", "risk", "environment"):
        assert words[key] == filed[key], key
    assert [p["id"] for p in words["pending"]] == [p["id"] for p in filed["pending"]]
    assert [p["id"] for p in words["pending"]] == ["architecture-change"]


def test_words_without_an_environment_exit_2_naming_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    proc = run(home, "submit", "-", stdin="we need a Postgres database for billing")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: missing: environment (dev, staging or prod)")
    assert proc.stdout == ""
    again = run(home, "submit", "--text", "we need a Postgres database for billing")
    assert again.returncode == 2 and "missing: environment" in again.stderr
    assert "No requests" in run(home, "status").stdout or run(home, "status").returncode == 0


def test_a_ci_cd_form_is_redirected_with_exit_0(tmp_path: Path) -> None:
    form = {
        "request": "Add a deploy step",
        "type": "Modify",
        "component": "CI/CD",
        "description": "Add a smoke-test stage to the storefront pipeline",
        "justification": "catch broken deploys",
        "timeline": "next sprint",
        "impact": "none",
        "requester": "Storefront team",
        "environment": "staging",
    }
    (tmp_path / "ci.yaml").write_text(yaml.safe_dump(form))
    proc = run(tmp_path / "home", "submit", str(tmp_path / "ci.yaml"), "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "redirected"
    assert result["redirect"]["owner"] == "Engineering Foundation"
