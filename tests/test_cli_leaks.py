"""The installed binary, with a roster of another scheme (OPS-1xx): IDs in any case and
secrets typed into requests, decisions and incidents reach no command's output, no bundle
or manifest file, and (secrets) no byte under the data home."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
import yaml

from tests.conftest import BASE_REQUEST
from tests.rosters import custom_roster, internal_ids

OPSTEAM = Path(sys.executable).with_name("opsteam")
SECRETS = {
    "Zq1url9x": "mysql://app:Zq1url9x@db.internal/app",
    "Zq2pg9x": "PGPASSWORD=Zq2pg9x",
    "Zq3tok9xZq3tok9xZq3tok9x": "ghp_Zq3tok9xZq3tok9xZq3tok9xZq3tok9x",
    "ZQ4AWS9XABCDEFGH": "ASIAZQ4AWS9XABCDEFGH",
    "Zq5key9x": "-----BEGIN PRIVATE KEY-----\nMIIEvZq5key9x",
}

pytestmark = pytest.mark.slow


def _views(home: Path) -> bytes:
    """The saved views of the history rows, uncompressed (a compressed secret is a secret)."""
    with sqlite3.connect(home / "opsteam.db") as conn:
        rows = conn.execute("SELECT view FROM requests WHERE view IS NOT NULL").fetchall()
    assert rows, "a settled request has a saved view"
    return b"".join(zlib.decompress(view) for (view,) in rows)


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(OPSTEAM), *args], capture_output=True, text=True, env=env, timeout=600, check=False
    )


def test_ids_of_another_scheme_and_secrets_reach_no_cli_output(tmp_path: Path) -> None:
    roster = custom_roster(tmp_path)
    home, out = tmp_path / "home", tmp_path / "out"
    env = {**os.environ, "OPSTEAM_HOME": str(home), "OPSTEAM_REGISTRY": str(roster)}
    env["OPSTEAM_USER"] = "tester"
    secrets = list(SECRETS.values())
    form = {
        **BASE_REQUEST,
        "environment": "prod",
        "request": "Redis cache for ops-104 (JIRA OPS-1040)",
        "description": f"A Redis cache; ask Ops 103. {secrets[0]} {secrets[4]}",
        "justification": f"Reads dominate, says OPS_101. {secrets[1]}",
        "impact": f"none {secrets[2]}",
    }
    request = tmp_path / "request.yaml"
    request.write_text(yaml.safe_dump(form), encoding="utf-8")
    runs = [_run(env, "submit", str(request), "--json", "--out", str(out))]
    thread = json.loads(runs[0].stdout)["thread_id"]
    for _ in range(4):
        runs.append(
            _run(env, "approve", thread, "--all", "--json", "--reason", f"ok ops-105 {secrets[3]}")
        )
        if runs[-1].returncode != 3:
            break
    assert runs[-1].returncode == 0, runs[-1].stderr
    incident = [
        "incident", "open", "--title", f"Cache down, OPS-104 paged {secrets[3]}",
        "--description", f"errors from {secrets[0]}", "--service", "catalog", "--json",
    ]  # fmt: skip
    runs += [
        _run(env, "status", thread, "--json"),
        _run(env, "status"),
        _run(env, *incident),
        _run(env, "incident", "list", "--json"),
        _run(env, "oncall", "--json"),
        _run(env, "kpis", "--json"),
        _run(env, "status", f"no-such {secrets[0]} ops-102"),
    ]
    codes = [r.returncode for r in runs[-7:]]
    assert codes[2] in (0, 3)  # a major incident waits for a human decision
    assert codes[:2] + codes[3:] == [0, 0, 0, 0, 0, 2], [r.stderr for r in runs[-7:]]
    again = tmp_path / "again"  # shown from the view saved with the history row
    runs += [_run(env, "show", thread, "--json"), _run(env, "show", thread, "--out", str(again))]
    assert [r.returncode for r in runs[-2:]] == [0, 0], runs[-1].stderr
    shown = "".join(r.stdout + r.stderr for r in runs)
    files = "".join(p.read_text("utf-8") for b in (out, again) for p in b.rglob("*") if p.is_file())
    stored = b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file()) + _views(home)
    assert "JIRA OPS-1040" in shown  # a look-alike stays as the user wrote it
    assert not internal_ids(shown.replace("OPS-1040", "")), internal_ids(shown)
    assert not internal_ids(files.replace("OPS-1040", ""))
    for core in SECRETS:
        assert core not in shown and core not in files, core
        assert core.encode() not in stored, core
