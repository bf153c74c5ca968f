"""Pause and resume through PostgreSQL instead of SQLite (same API, another store)."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsteam.application.service import Opsteam
from opsteam.intake import parse_requests
from tests.fakes import ParseOnlyVerifier

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

pytestmark = pytest.mark.postgres


def test_pause_and_resume_through_postgres(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSTEAM_CHECKPOINT_URL", postgres_url)
    request = parse_requests((EXAMPLES / "schema-migration.yaml").read_bytes())
    first = Opsteam(home=tmp_path / "a", verifier=ParseOnlyVerifier()).submit(request)[0]
    assert [p.id for p in first.pending] == ["customer-schema-change"]
    assert not (tmp_path / "a" / "checkpoints.sqlite").exists()

    # Another home directory: the thread can only come from PostgreSQL.
    other = Opsteam(home=tmp_path / "b", verifier=ParseOnlyVerifier())
    assert other.status(first.thread_id).status == "awaiting-approval"
    second = other.decide(first.thread_id, "approve", by="dba-lead")
    assert [p.id for p in second.pending] == ["production-change"]
    done = other.decide(first.thread_id, "approve", by="change-board")
    assert done.status == "completed"
    assert [d.by for d in done.decisions] == ["dba-lead", "change-board"]


def test_a_role_alone_resumes_on_its_own_graph_through_postgres(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSTEAM_CHECKPOINT_URL", postgres_url)
    request = parse_requests((EXAMPLES / "dns-lb-change.yaml").read_bytes())
    team = Opsteam(home=tmp_path / "a", verifier=ParseOnlyVerifier())
    [first] = team.submit(request, only="network-engineer")
    assert [p.id for p in first.pending] == ["production-change"]
    done = Opsteam(home=tmp_path / "b", verifier=ParseOnlyVerifier()).decide(
        first.thread_id, "approve", by="change-board"
    )
    assert done.status == "completed"
    assert done.summary.startswith("Network Engineer alone:")
