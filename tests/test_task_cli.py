"""``opsteam task``: Task-style delegation from the command line, with submit's exit codes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from opsteam.application import service
from opsteam.interfaces.cli.app import _run_app
from tests.fakes import ParseOnlyVerifier
from tests.rosters import internal_ids
from tests.test_cli import run

pytestmark = pytest.mark.slow

STAGING = "open 443 from 203.0.113.0/24 to the bastion in staging"


def test_one_role_with_json_and_a_bundle(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    proc = run(tmp_path / "home", "task", "--subagent-type", "network-engineer", STAGING,
               "--json", "--out", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert (data["status"], data["subagent_type"]) == ("completed", "network-engineer")
    [artifact] = data["artifacts"]
    written = (out / artifact["path"]).read_bytes()
    assert hashlib.sha256(written).hexdigest() == artifact["sha256"]


def test_waiting_for_approval_exits_3_and_approve_finishes_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    words = STAGING.replace("staging", "prod")
    first = run(home, "task", "--subagent-type", "network-engineer", words)
    assert first.returncode == 3, first.stderr
    assert "Waiting for a human decision: Production change approval" in first.stdout
    thread = next(w for w in first.stdout.split() if w.startswith("chg-"))
    assert f"opsteam approve {thread} --checkpoint production-change" in first.stdout
    done = run(home, "approve", thread, "--json")  # any process resumes the role's graph
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "completed"


def test_bad_input_is_one_error_line_and_exit_2(tmp_path: Path) -> None:
    home = tmp_path / "home"
    unknown = run(home, "task", "--subagent-type", "dba", STAGING)
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("error: subagent_type: unknown 'dba'; valid types: ")
    assert unknown.stderr.count("\n") == 1 and unknown.stdout == ""
    vague = run(home, "task", "open 443 to the bastion")
    assert (vague.returncode, vague.stdout) == (2, "")
    assert vague.stderr == "error: missing: environment (dev, staging or prod)\n"
    as_json = run(home, "task", "open 443 to the bastion", "--json")
    assert as_json.returncode == 2
    assert json.loads(as_json.stdout)["questions"] == [
        "missing: environment (dev, staging or prod)"
    ]
    piped = run(home, "task", "-", "--subagent-type", "network-engineer", stdin=STAGING)
    assert piped.returncode == 0, piped.stderr


def test_findings_that_remain_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    failing = ParseOnlyVerifier(fail_paths=["terraform/main.tf"], fail_times=99)
    monkeypatch.setattr(service, "real_verifier", failing)
    monkeypatch.setenv("OPSTEAM_HOME", str(tmp_path / "home"))
    words = "two more VMs for the batch workers in dev"
    code = _run_app(["task", "--subagent-type", "automation-engineer", words, "--json"])
    data = json.loads(capsys.readouterr().out)
    assert (code, data["status"]) == (1, "failed")
    assert "finding(s) remain" in data["summary"]
    assert not internal_ids(json.dumps(data))
