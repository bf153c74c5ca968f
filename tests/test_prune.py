"""Pruning ended requests: their checkpoints go, the blobs only they named are collected,
the audit trail stays, and every other request (sharing files or paused) is untouched.

Runs on SQLite and on PostgreSQL (``OPSTEAM_TEST_POSTGRES_URL``; under CI it must run).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import ops_db
import pytest
from sqlalchemy import func, select

from opsteam.application.checkpoints import open_checkpointer
from opsteam.application.db import open_store
from opsteam.application.pruning import prune
from opsteam.application.results import RunResult
from opsteam.application.service import Opsteam
from opsteam.application.tables import ApprovalRow, ChangeRow, RequestRow
from opsteam.domain.errors import ConflictError, InputError, NotFoundError
from opsteam.domain.models import ChangeRequest
from opsteam.intake import parse_requests
from tests.cli_runs import run_opsteam
from tests.fakes import ParseOnlyVerifier

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
postgres_url = ops_db.postgres_url  # a schema of its own per test (the server is shared)
LATER = datetime.now(UTC) + timedelta(hours=2)  # past the hour a fresh blob is kept


def example(name: str) -> ChangeRequest:
    [request] = parse_requests((EXAMPLES / name).read_bytes())
    return request


def finished(team: Opsteam, request: ChangeRequest) -> RunResult:
    [result] = team.submit([request])
    while result.pending:
        result = team.decide(result.thread_id, "approve", all_pending=True, by="board")
    assert result.status == "completed", result.summary
    return result


def blob_hashes(team: Opsteam) -> set[str]:
    with open_checkpointer(team.home, team.settings) as saver:
        conn: Any = saver.serde.blob_store.connection()  # type: ignore[attr-defined]
        return {str(row[0]) for row in conn.execute("SELECT sha256 FROM opsteam_blobs")}


def history(team: Opsteam, row: Any, thread_id: str) -> int:
    with open_store(team.home) as store, store.session() as session:
        query = select(func.count()).select_from(row).where(row.thread_id == thread_id)
        return int(session.scalar(query) or 0)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def team(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Opsteam:
    if request.param == "postgres":
        monkeypatch.setenv("OPSTEAM_DATABASE_URL", request.getfixturevalue("postgres_url"))
    return Opsteam(home=tmp_path / "home", verifier=ParseOnlyVerifier())


def test_pruning_keeps_what_others_share_and_collects_the_rest(team: Opsteam) -> None:
    first = finished(team, example("prod-postgres-ha.yaml"))
    twin = finished(team, example("prod-postgres-ha.yaml"))  # the same files, shared blobs
    [paused] = team.submit([example("web-service-k8s.yaml")])
    assert paused.pending
    files = {a.path: a.content for a in team.show(twin.thread_id)[1]}
    before = blob_hashes(team)

    dry = prune(team.home, team.settings, [first.thread_id], apply=False, now=LATER)
    assert dry.dry_run and [r.thread_id for r in dry.requests] == [first.thread_id]
    assert blob_hashes(team) == before and team.status(first.thread_id).status == "completed"

    report = prune(team.home, team.settings, [first.thread_id], apply=True, now=LATER)
    assert [r.thread_id for r in report.requests] == [first.thread_id]
    with pytest.raises(NotFoundError):
        team.status(first.thread_id)
    assert history(team, RequestRow, first.thread_id) == 0
    assert history(team, ApprovalRow, first.thread_id) == 2  # the audit trail stays
    assert history(team, ChangeRow, first.thread_id) == 1  # and the change history
    assert {a.path: a.content for a in team.show(twin.thread_id)[1]} == files

    report = prune(team.home, team.settings, [twin.thread_id], apply=True, now=LATER)
    assert report.blobs_removed > 0 and report.blob_bytes_removed > 0
    left = blob_hashes(team)
    assert left < before
    done = team.decide(paused.thread_id, "approve", all_pending=True, by="board")
    while done.pending:
        done = team.decide(done.thread_id, "approve", all_pending=True, by="board")
    assert done.status == "completed" and team.show(done.thread_id)[1]


def test_a_request_that_has_not_ended_is_refused_and_age_skips_it(team: Opsteam) -> None:
    [paused] = team.submit([example("web-service-k8s.yaml")])
    with pytest.raises(ConflictError, match="has not ended"):
        prune(team.home, team.settings, [paused.thread_id], apply=True, now=LATER)
    with pytest.raises(NotFoundError):
        prune(team.home, team.settings, ["chg-nosuchthing"], now=LATER)
    with pytest.raises(InputError):
        prune(team.home, team.settings, now=LATER)
    ended = finished(team, example("redis-cache-dev.yaml"))
    aged = prune(team.home, team.settings, older_than=0, apply=True, now=LATER)
    assert [r.thread_id for r in aged.requests] == [ended.thread_id]
    assert team.status(paused.thread_id).status == "awaiting-approval"
    fresh = prune(team.home, team.settings, older_than=1, now=datetime.now(UTC))
    assert fresh.requests == []  # the paused one never, nothing else left


def test_a_blob_relied_on_within_the_hour_is_never_collected(team: Opsteam) -> None:
    ended = finished(team, example("redis-cache-dev.yaml"))
    before = blob_hashes(team)
    report = prune(team.home, team.settings, [ended.thread_id], apply=True, now=datetime.now(UTC))
    assert report.requests and report.blobs_removed == 0
    assert blob_hashes(team) == before  # a writer may be about to name any of them
    again = finished(team, example("redis-cache-dev.yaml"))  # the same files, stored again
    assert team.show(again.thread_id)[1]


def test_the_command_is_a_dry_run_unless_told(tmp_path: Path) -> None:
    home = tmp_path / "home"
    team = Opsteam(home=home, verifier=ParseOnlyVerifier())
    ended = finished(team, example("redis-cache-dev.yaml"))
    approvals = history(team, ApprovalRow, ended.thread_id)
    listed = run_opsteam(home, "prune", ended.thread_id)
    assert listed.returncode == 0, listed.stderr
    assert "Would prune 1 request" in listed.stdout and ended.thread_id in listed.stdout
    assert team.status(ended.thread_id).status == "completed"
    done = run_opsteam(home, "prune", ended.thread_id, "--yes")
    assert done.returncode == 0, done.stderr
    assert "Pruned 1 request" in done.stdout and "Approvals" in done.stdout
    with pytest.raises(NotFoundError):
        team.status(ended.thread_id)
    missing = run_opsteam(home, "prune")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1, missing.stderr
    with sqlite3.connect(home / "opsteam.db") as conn:
        assert conn.execute("SELECT count(*) FROM approvals").fetchone() == (approvals,)
