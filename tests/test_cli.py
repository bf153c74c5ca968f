"""The real `opsteam` command in subprocesses: two processes pause and resume one request."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
OPSTEAM = Path(sys.executable).with_name("opsteam")
ANY_ID = re.compile(r"INF\s*[-_]?\s*\d{3}", re.IGNORECASE)

pytestmark = pytest.mark.slow


def run(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPSTEAM_HOME": str(home), "OPSTEAM_USER": "tester"}
    proc = subprocess.run(
        [str(OPSTEAM), *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=600,
        cwd=home.parent,
        check=False,
    )
    assert not ANY_ID.search(proc.stdout + proc.stderr)
    assert "Traceback" not in proc.stderr
    return proc


def test_pause_in_one_process_resume_in_another(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = run(home, "submit", str(EXAMPLES / "prod-postgres-ha.yaml"), "--json")
    assert first.returncode == 3, first.stderr
    data = json.loads(first.stdout)
    thread = data["thread_id"]
    assert [p["id"] for p in data["pending"]] == ["architecture-change"]

    shown = run(home, "status", thread)
    assert shown.returncode == 0 and "architecture-change" in shown.stdout

    second = run(home, "approve", thread, "--json")
    assert second.returncode == 3, second.stderr
    assert [p["id"] for p in json.loads(second.stdout)["pending"]] == ["production-change"]

    out = tmp_path / "bundle"
    third = run(
        home,
        "approve",
        thread,
        "--checkpoint",
        "production-change",
        "--reason",
        "window agreed",
        "--out",
        str(out),
        "--json",
    )
    done = json.loads(third.stdout)
    assert done["status"] in ("completed", "failed")
    assert third.returncode == (0 if done["status"] == "completed" else 1)
    assert "Database Administrator" in done["team"]
    assert [d["by"] for d in done["decisions"]] == ["tester", "tester"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert any(f["path"] == "terraform/database.tf" for f in manifest["files"])
    for path in out.rglob("*"):
        if path.is_file():
            assert not ANY_ID.search(path.read_text())

    listed = run(home, "status", "--json")
    assert [r["thread_id"] for r in json.loads(listed.stdout)] == [thread]


def test_bad_input_exits_2_with_one_line_per_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("request: x\ntype: Sideways\ncolour: red\n")
    proc = run(tmp_path / "home", "submit", str(bad))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert any("type:" in line for line in lines)
    assert any("colour: unknown field" in line for line in lines)
    assert all(line.startswith("error: ") for line in lines)
    assert (
        not (tmp_path / "home" / "checkpoints.sqlite").exists()
        or run(tmp_path / "home", "status", "--json").stdout.strip() == "[]"
    )

    malformed = run(tmp_path / "home", "submit", "-", stdin="{not json")
    assert malformed.returncode == 2 and "malformed JSON" in malformed.stderr


def test_unknown_thread_and_wrong_decisions(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run(home, "approve", "chg-nope").returncode == 2
    assert run(home, "approve", "chg-nope", "--reject").returncode == 2
    missing = run(home, "submit", str(tmp_path / "absent.yaml"))
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_dev_request_and_redirect_complete_with_exit_0(tmp_path: Path) -> None:
    home = tmp_path / "home"
    redirect = run(home, "submit", str(EXAMPLES / "ci-pipeline.yaml"))
    assert redirect.returncode == 0 and "Engineering Foundation" in redirect.stdout
    roster = run(home, "roster", "--json")
    names = [r["name"] for r in json.loads(roster.stdout)["roles"]]
    assert names[0] == "Infrastructure Architect" and len(names) == 6


def test_recording_the_outcome_of_a_change(tmp_path: Path) -> None:
    home = tmp_path / "home"
    bad = tmp_path / "dev.yaml"
    bad.write_text((EXAMPLES / "ci-pipeline.yaml").read_text())
    redirected = json.loads(run(home, "submit", str(bad), "--json").stdout)
    refused = run(home, "outcome", redirected["thread_id"], "rolled-back")
    assert refused.returncode == 2 and "was redirected, so no change was made" in refused.stderr
    assert run(home, "outcome", "chg-missing", "failed").returncode == 2
    assert run(home, "outcome", redirected["thread_id"], "sideways").returncode == 2


def test_usage_mistakes_are_one_error_line_and_exit_2(tmp_path: Path) -> None:
    home = tmp_path / "home"
    for args, needle in [
        (("submit",), "give a request file (or - for stdin) or --text WORDS"),
        (("submit", "--bogus", "x"), "No such option: --bogus"),
        (("outcome", "chg-x", "maybe"), "'maybe' is not one of"),
        (("submit", str(tmp_path)), "is a directory"),
    ]:
        proc = run(home, *args)
        assert proc.returncode == 2, (args, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0]
        assert "Value error" not in lines[0]
    assert not (home / "checkpoints.sqlite").exists()
    assert run(home, "--help").returncode == 0
