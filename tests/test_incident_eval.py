"""`opsteam eval --incidents`: the team's triage against labelled incidents, and its targets."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from opsteam.agents.sre.triage import assess
from opsteam.application.incident_eval import Targets, load_cases, run_eval
from opsteam.domain.alerts import parse_alerts
from opsteam.domain.registry import Registry
from opsteam.interfaces.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "evals" / "incidents"
OWNERS = {
    "systems-administrator",
    "network-engineer",
    "database-administrator",
    "site-reliability-engineer",
    "automation-engineer",
    "infrastructure-architect",
    "owning-team",
}


def run(*args: str) -> Result:
    result = CliRunner().invoke(app, ["eval", *args])
    assert "Traceback" not in result.output
    assert not re.search(r"INF-\d", result.output)
    return result


def test_the_team_passes_the_incident_eval() -> None:
    result = run(str(CASES), "--incidents", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["passed"] is True and data["missed_targets"] == []
    assert data["cases"] >= 60
    assert data["owner_accuracy"] >= 0.90
    assert data["severity_accuracy"] >= 0.85
    assert data["p1_below_p2"] == 0
    assert {s["owner"] for s in data["by_owner"]} == OWNERS
    assert sum(s["hit"] + s["missed"] for s in data["by_owner"]) == data["cases"]


def test_the_cases_cover_what_the_issue_asks_for(registry: Registry) -> None:
    """Several symptom classes per owner, knock-on alerts, out-of-scope faults, all severities."""
    cases = load_cases(CASES)
    classes: dict[str, set[str]] = defaultdict(set)
    knock_on = out_of_scope = 0
    for _, case in cases:
        found = assess(case.report, registry, parse_alerts(case.report.alert))
        classes[case.expected.owner] |= {s.symptom.value for s in found.symptoms}
        knock_on += bool(found.knock_on)
        out_of_scope += case.expected.owner == "owning-team"
    assert set(classes) == OWNERS
    assert all(len(found) >= 3 for found in classes.values()), classes
    assert knock_on >= 5 and out_of_scope >= 10
    assert {c.expected.severity.value for _, c in cases} == {"P1", "P2", "P3"}


def test_the_default_directory_and_the_text_report(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = run("--incidents")
    assert result.exit_code == 0, result.output
    assert "Owner right:" in result.output and result.output.rstrip().endswith("PASSED")


def _case_file(tmp_path: Path, owner: str, severity: str) -> Path:
    case = yaml.safe_load((CASES / "data.yaml").read_text())["cases"][0]  # postgres-primary-down
    case["expected"] = {"owner": owner, "severity": severity}
    path = tmp_path / "cases.yaml"
    path.write_text(yaml.safe_dump({"cases": [case]}))
    return path


def test_a_missed_target_fails_the_command(tmp_path: Path) -> None:
    result = run(str(_case_file(tmp_path, "network-engineer", "P3")), "--incidents")
    assert result.exit_code == 1
    assert "miss cases.yaml:postgres-primary-down: owner database-administrator" in result.output
    assert (
        "FAILED: owner right for 0.0% (target 90%); severity right for 0.0% (target 85%)"
        in result.output
    )


def test_an_under_rated_p1_fails_even_with_good_accuracy(registry: Registry) -> None:
    cases = load_cases(CASES)
    report = run_eval(cases, registry, Targets(owner=0.0, severity=0.0, p1_below_p2=0))
    assert report.passed
    strict = run_eval(cases, registry, Targets(owner=1.01))
    assert strict.missed_targets == ["owner right for 100.0% (target 101%)"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nowhere.yaml",), "error: eval: nowhere.yaml not found (give a case file or directory)"),
        (
            ("nowhere.yaml", "--incidents"),
            "error: eval: nowhere.yaml not found (give a case file or directory)",
        ),
    ],
)
def test_usage_mistakes_are_one_line_and_exit_two(args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert result.output.strip() == message


def test_a_malformed_case_names_file_and_field(tmp_path: Path) -> None:
    path = _case_file(tmp_path, "chef", "P1")
    result = run(str(path), "--incidents")
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {path}: cases[0].expected.owner: Input should be")
    path.write_text("cases: [\n")
    result = run(str(path), "--incidents")
    assert result.output.strip() == f"error: eval: malformed YAML in {path} at line 2"
