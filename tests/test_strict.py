"""Unverified is not verified: a missing validator fails the run under --strict / OPSTEAM_STRICT.

The real command, with the validators' home pointed at an empty directory (nothing installed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OPSTEAM = Path(sys.executable).with_name("opsteam")

pytestmark = pytest.mark.slow


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "OPSTEAM_STRICT"}
    full = {
        **base,
        "OPSTEAM_HOME": str(tmp_path / "home"),
        "OPSTEAM_TOOLS": str(tmp_path / "no-tools"),
        "OPSTEAM_USER": "tester",
        **env,
    }
    return subprocess.run(
        [str(OPSTEAM), *args], capture_output=True, text=True, env=full, timeout=600, check=False
    )


def _paused(tmp_path: Path) -> str:
    first = run(tmp_path, "submit", str(ROOT / "examples" / "redis-cache-dev.yaml"), "--json")
    assert first.returncode == 3, first.stderr
    return str(json.loads(first.stdout)["thread_id"])


def test_default_run_says_which_artifacts_were_not_verified_then_strict_fails(
    tmp_path: Path,
) -> None:
    thread = _paused(tmp_path)
    done = run(tmp_path, "approve", thread, "--strict")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "NOT VERIFIED" in done.stdout and "terraform/main.tf" in done.stdout
    [line] = done.stderr.splitlines()
    assert line.startswith(f"error: --strict: {thread}: ") and "terraform/main.tf" in line

    second = _paused(tmp_path)
    lenient = run(tmp_path, "approve", second)
    assert lenient.returncode == 0, lenient.stderr
    assert "NOT VERIFIED" in lenient.stdout and "--strict" in lenient.stdout


def test_strict_from_the_environment(tmp_path: Path) -> None:
    thread = _paused(tmp_path)
    done = run(tmp_path, "approve", thread, "--json", OPSTEAM_STRICT="1")
    assert done.returncode == 1
    assert json.loads(done.stdout)["status"] == "completed"
    errors = json.loads(done.stderr)["errors"]
    assert errors and "not verified" in errors[0]


def test_strict_task(tmp_path: Path) -> None:
    words = "open 443 from 203.0.113.0/24 to the bastion in staging"
    args = ("task", "--subagent-type", "automation-engineer", words)
    lenient = run(tmp_path, *args)
    assert lenient.returncode == 0, lenient.stderr
    strict = run(tmp_path, *args, "--strict")
    assert strict.returncode == 1
    assert "not verified (validator not installed): " in strict.stderr
    assert "terraform/change.tf" in strict.stderr
