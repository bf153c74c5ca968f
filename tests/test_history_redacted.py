"""The history store keeps what every way out shows: the person's words with the roster's IDs
named, so a KPI export or a database dump leaks no internal ID (look-alikes stay as typed)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from opsteam.application.service import Opsteam
from opsteam.domain.models import ChangeRequest
from tests.conftest import BASE_REQUEST
from tests.fakes import ParseOnlyVerifier


def _history_text(home: Path) -> str:
    conn = sqlite3.connect(home / "opsteam.db")
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def test_titles_descriptions_and_decisions_are_stored_with_ids_named(tmp_path: Path) -> None:
    team = Opsteam(home=tmp_path / "home", verifier=ParseOnlyVerifier())
    request = ChangeRequest.model_validate(
        {
            **BASE_REQUEST,
            "environment": "prod",
            "request": "Redis cache for INF-003 review (JIRA INF-123)",
            "description": "A Redis cache; ask inf-004 about the replica.",
        }
    )
    [result] = team.submit([request])
    while result.pending:
        result = team.decide(
            result.thread_id, "approve", all_pending=True, by="alice", reason="INF-002 agreed"
        )
    assert result.status == "completed"
    stored = _history_text(tmp_path / "home")
    assert "Network Engineer" in stored  # the ID, named
    assert "INF-123" in stored  # a look-alike the person typed, left as typed
    for internal in ("INF-003", "inf-004", "INF-002"):
        assert internal not in stored, internal
