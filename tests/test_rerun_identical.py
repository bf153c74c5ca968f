"""The same request run twice by two real ``opsteam`` processes, each with its own data home
and the real validators, writes byte-identical bundles: nothing in a bundle depends on the
process, the home, the thread id or the order things happened to finish in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_runs import opsteam_json

pytestmark = [pytest.mark.slow, pytest.mark.validators]
ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "prod-postgres-ha.yaml"
MAX_ROUNDS = 5


def _bundle(home: Path, out: Path) -> dict[str, bytes]:
    """Submit the example, approve every checkpoint from new processes, write the bundle."""
    result = opsteam_json(home, "submit", str(EXAMPLE), "--out", str(out))
    for _ in range(MAX_ROUNDS):
        if result["status"] != "awaiting-approval":
            break
        result = opsteam_json(home, "approve", result["thread_id"], "--all")
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
