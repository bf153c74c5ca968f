"""The same request run twice by two real ``opsteam`` processes, each with its own data home
and the real validators, writes byte-identical bundles: nothing in a bundle depends on the
process, the home, the thread id or the order things happened to finish in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.validators]
ROOT = Path(__file__).resolve().parent.parent
OPSTEAM = Path(sys.executable).with_name("opsteam")
EXAMPLE = ROOT / "examples" / "prod-postgres-ha.yaml"
MAX_ROUNDS = 5


def _cli(home: Path, *args: str) -> dict[str, Any]:
    env = {**os.environ, "OPSTEAM_HOME": str(home), "OPSTEAM_USER": "alice"}
    proc = subprocess.run(
        [str(OPSTEAM), *args, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert proc.returncode in (0, 3), proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def _bundle(home: Path, out: Path) -> dict[str, bytes]:
    """Submit the example, approve every checkpoint from new processes, write the bundle."""
    result = _cli(home, "submit", str(EXAMPLE), "--out", str(out))
    for _ in range(MAX_ROUNDS):
        if result["status"] != "awaiting-approval":
            break
        result = _cli(home, "approve", result["thread_id"], "--all")
    assert result["status"] == "completed", result.get("summary")
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_two_processes_with_their_own_homes_write_the_same_bytes(tmp_path: Path) -> None:
    first = _bundle(tmp_path / "home-a", tmp_path / "out-a")
    second = _bundle(tmp_path / "home-b", tmp_path / "out-b")
    assert sorted(first) == sorted(second)
    differ = [path for path in first if first[path] != second[path]]
    assert not differ, differ
    manifest = json.loads(first["manifest.json"])
    assert manifest  # the manifest (hashes of every file) is part of what must match
