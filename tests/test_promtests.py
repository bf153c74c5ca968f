"""promtool-test: the parser on recorded real output, the planner, and (``-m validators``) the
installed promtool re-run on the recorded cases (tests/recorded/record.py re-records them)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from opsteam.domain.models import Artifact, ValidationStatus
from opsteam.tools import promtests
from opsteam.tools.runner import CommandResult, SubprocessRunner
from opsteam.tools.validators import validate_bundle
from tests.fakes import promtool_test_finding
from tests.test_validators import FakeRunner, by_key, write

PASSED, FAILED = ValidationStatus.PASSED, ValidationStatus.FAILED
ERROR, NOT_INSTALLED = ValidationStatus.ERROR, ValidationStatus.NOT_INSTALLED
RECORDED = Path(__file__).resolve().parent / "recorded" / "promtool"

# What the parser must read from each recorded run (promtool 2.42, Debian bookworm).
EXPECTED: dict[str, tuple[ValidationStatus, list[str]]] = {
    "ok": (PASSED, []),
    "named": (FAILED, [
        "alert-test: test 'primary down while replica up': DatabaseDown at 5m: expected "
        '{environment="prod", instance="primary", service="billing-db", severity="P0"}; '
        "got no alert (DatabaseDown)",
        "alert-test: test 'healthy stays silent': DatabaseReplicationLag at 5m: expected "
        '{severity="P1"}; got no alert (DatabaseReplicationLag)',
    ]),
    "unnamed": (FAILED, [
        'alert-test: DatabaseDown at 5m: expected {environment="prod", service="billing-db", '
        'severity="P1"}; got {environment="prod", service="billing-db", severity="P0"} '
        "(DatabaseDown)",
        'expr-test: "max(pg_up)" at 1m: expected {} 1E+00; got {} 0E+00',
    ]),
    "missing": (FAILED, [
        "rule-files: rule file monitoring/missing.rules.yml not found: the test checks no rules",
    ]),
    "unk": (FAILED, [
        "test-file: yaml: unmarshal errors: line 4: field bogus not found in type "
        "main.testGroup (line 4)",
    ]),
    "badyaml": (FAILED, ["test-file: yaml: line 5: did not find expected node content (line 5)"]),
    "broken": (FAILED, [
        'test-file: monitoring/broken.rules.yml: 5:15: group "x", rule 1, "A": could not parse '
        "expression: 1:6: parse error: unexpected end of input",
    ]),
    "evalerr": (FAILED, [
        "rule-eval: rule Ratio at 0s failed to evaluate: multiple matches for labels: "
        "many-to-one matching must be explicit (group_left/group_right) (Ratio)",
    ]),
}  # fmt: skip


def recorded(case: str) -> CommandResult:
    data = json.loads((RECORDED / f"{case}.json").read_text(encoding="utf-8"))
    return CommandResult(data["rc"], data["stdout"], data["stderr"])


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_recorded_promtool_output_becomes_typed_findings(case: str) -> None:
    outcome = promtests.parse(recorded(case))
    status, findings = EXPECTED[case]
    assert (outcome.status, [str(f) for f in outcome.findings]) == (status, findings)


def test_every_recording_is_covered() -> None:
    assert {p.stem for p in RECORDED.glob("*.json")} == set(EXPECTED)


def test_output_promtool_could_not_have_given_is_no_verdict() -> None:
    assert promtests.parse(CommandResult(0, "Unit Testing: x\n", "")).status is ERROR
    crashed = promtests.parse(CommandResult(2, "", "promtool: error: unknown flag"))
    assert crashed.status is ERROR and "unknown flag" in str(crashed.findings[0])
    assert promtests.parse(CommandResult(1, "", "promtool: error: path does not exist")).status is (
        ERROR
    )


TEST_FILE = "rule_files: [alerts.rules.yml]\ntests:\n  - interval: 1m\n    input_series: []\n"


def _art(path: str, kind: str = "prometheus-tests") -> Artifact:
    return Artifact(path=path, role="site-reliability-engineer", kind=kind, content="")


def test_each_test_file_runs_once_and_empty_or_broken_ones_never_run(tmp_path: Path) -> None:
    files = {
        "monitoring/alerts.test.yml": TEST_FILE,
        "monitoring/empty.test.yml": "rule_files: [alerts.rules.yml]\ntests: []\n",
        "monitoring/broken.test.yml": "tests: [\n",
    }
    write(tmp_path, files)
    runner = FakeRunner({"promtool": recorded("named")})
    results = by_key(validate_bundle(tmp_path, [_art(p) for p in files], runner=runner))
    assert [argv[1:] for argv, _, _ in runner.calls] == [
        ["test", "rules", "monitoring/alerts.test.yml"]
    ]
    ran = results[("monitoring/alerts.test.yml", "promtool-test")]
    assert ran.status is FAILED and len(ran.findings) == 2
    empty = results[("monitoring/empty.test.yml", "promtool-test")]
    assert empty.status is FAILED and "holds no tests" in str(empty.findings[0])
    broken = results[("monitoring/broken.test.yml", "promtool-test")]
    assert broken.status is FAILED and broken.findings[0].check_id == "yaml-parse"


def test_promtool_missing_means_not_installed(tmp_path: Path) -> None:
    write(tmp_path, {"monitoring/alerts.test.yml": TEST_FILE})
    [result] = validate_bundle(tmp_path, [_art("monitoring/alerts.test.yml")],
                               runner=FakeRunner({}, installed=()))  # fmt: skip
    assert result.status is NOT_INSTALLED


def test_fake_finding_has_the_real_shape(tmp_path: Path) -> None:
    write(tmp_path, {"monitoring/alerts.test.yml": TEST_FILE})
    [result] = validate_bundle(tmp_path, [_art("monitoring/alerts.test.yml")],
                               runner=FakeRunner({"promtool": recorded("unnamed")}))  # fmt: skip
    real = result.findings[0]
    assert real == promtool_test_finding("monitoring/alerts.test.yml", "DatabaseDown", real.message)
    assert real.message.startswith("DatabaseDown at 5m: expected")


@pytest.mark.validators
@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_the_installed_promtool_still_answers_as_recorded(case: str, tmp_path: Path) -> None:
    program = SubprocessRunner().which("promtool")
    if program is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but promtool is not installed")
        pytest.skip("promtool is not installed")
    shutil.copytree(RECORDED / "monitoring", tmp_path / "monitoring")
    live = SubprocessRunner().run(promtests.argv(program, f"monitoring/{case}.test.yml"),
                                  cwd=tmp_path, timeout=60)  # fmt: skip
    parsed = promtests.parse(live)
    assert (parsed.status, [str(f) for f in parsed.findings]) == EXPECTED[case]


RULES = """\
groups:
  - name: db
    rules:
      - alert: DatabaseDown
        expr: pg_up == 0
      - alert: DatabaseSlow
        expr: pg_slow > 1
      - alert: DatabaseFull
        expr: pg_full > 0.9
      - record: db:up
        expr: pg_up
"""

COVERING_SOME = """\
rule_files: [alerts.rules.yml]
tests:
  - interval: 1m
    input_series: []
    alert_rule_test:
      - {eval_time: 1m, alertname: DatabaseDown, exp_alerts: []}
      - {eval_time: 5m, alertname: DatabaseDown, exp_alerts: [{exp_labels: {}}]}
      - {eval_time: 5m, alertname: DatabaseSlow, exp_alerts: []}
  - interval: 1m
    input_series: []
    alert_rule_test:
      - {eval_time: 5m, alertname: DatabaseFull, exp_alerts: [{exp_labels: {}}]}
"""


def test_alerts_the_tests_leave_unproven_are_findings(tmp_path: Path) -> None:
    write(tmp_path, {"monitoring/alerts.rules.yml": RULES.replace("DatabaseSlow", "DbSlow") +
                     "      - alert: DatabaseSlow\n        expr: x > 1\n",
                     "monitoring/alerts.test.yml": COVERING_SOME})  # fmt: skip
    runner = FakeRunner({"promtool": recorded("ok")})
    [result] = validate_bundle(tmp_path, [_art("monitoring/alerts.test.yml")], runner=runner)
    assert result.status is FAILED  # promtool passed, but not everything is proven
    assert [(f.check_id, f.resource, f.severity) for f in result.findings] == [
        ("untested-alert", "DbSlow", "error"),
        ("never-silent", "DatabaseFull", "warning"),
        ("never-fires", "DatabaseSlow", "error"),
    ]
    assert "has no alert_rule_test" in result.findings[0].message


def test_full_coverage_adds_nothing_and_warnings_do_not_fail() -> None:
    test_doc: dict[str, Any] = {"tests": [{"alert_rule_test": [
        {"alertname": "DatabaseDown", "exp_alerts": []},
        {"alertname": "DatabaseDown", "exp_alerts": [{}]},
    ]}]}  # fmt: skip
    rules = {"a.yml": [{"groups": [{"rules": [{"alert": "DatabaseDown", "expr": "x"}]}]}]}
    assert promtests.coverage(test_doc, rules) == []
    assert promtests.coverage(test_doc, {"missing.yml": None}) == []


def test_coverage_notes_never_turn_an_unverified_file_into_a_verdict(tmp_path: Path) -> None:
    write(tmp_path, {"monitoring/alerts.rules.yml": RULES,
                     "monitoring/alerts.test.yml": COVERING_SOME})  # fmt: skip
    [result] = validate_bundle(tmp_path, [_art("monitoring/alerts.test.yml")],
                               runner=FakeRunner({}, installed=()))  # fmt: skip
    assert result.status is NOT_INSTALLED
