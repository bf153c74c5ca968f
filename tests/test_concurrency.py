"""Many processes at once: first use of a fresh store, and deciding one checkpoint.

Concurrent first commands all succeed (schema set-up is serialised by a lock in or next to
the database). Deciders in several processes - on PostgreSQL each with its own home, as two
hosts would be - apply exactly one decision; the others are told who decided and when, and
the decider is the same in the state and in the history.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opsteam.application.checkpoints import open_checkpointer
from opsteam.application.db import open_store
from opsteam.application.service import Opsteam
from opsteam.intake import parse_requests
from tests.crash import approvers, run_together
from tests.fakes import ParseOnlyVerifier

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PROCESSES = 6


def _first_use(home: Path) -> str:
    with open_store(home) as store, store.session():
        pass
    with open_checkpointer(home) as saver:
        saver.get_tuple({"configurable": {"thread_id": "none"}})
    return "ok"


def test_concurrent_first_commands_on_a_fresh_sqlite_home_all_succeed(tmp_path: Path) -> None:
    home = tmp_path / "fresh"
    outcomes = run_together([lambda: _first_use(home) for _ in range(PROCESSES)])
    assert outcomes == [("ok", "ok")] * PROCESSES


@pytest.fixture
def fresh_postgres(postgres_url: str) -> Iterator[str]:
    """A brand-new database on the test server (first use), dropped afterwards."""
    import psycopg

    name = f"opsteam_fresh_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = postgres_url.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_concurrent_first_commands_on_a_fresh_postgres_all_succeed(
    tmp_path: Path, fresh_postgres: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSTEAM_DATABASE_URL", fresh_postgres)
    monkeypatch.setenv("OPSTEAM_CHECKPOINT_URL", fresh_postgres)
    homes = [tmp_path / f"host-{i}" for i in range(PROCESSES)]
    outcomes = run_together([lambda h=h: _first_use(h) for h in homes])  # type: ignore[misc]
    assert outcomes == [("ok", "ok")] * PROCESSES


def _decide(home: Path, thread_id: str, by: str) -> str:
    team = Opsteam(home=home, verifier=ParseOnlyVerifier())
    team.decide(thread_id, "approve", checkpoint="customer-schema-change", by=by)
    return by


def _race(homes: list[Path]) -> tuple[str, list[tuple[str, Any]], Opsteam]:
    """One request paused at a checkpoint; one decider per home, all at once."""
    first = Opsteam(home=homes[0], verifier=ParseOnlyVerifier())
    request = parse_requests((EXAMPLES / "schema-migration.yaml").read_bytes())
    [paused] = first.submit(request)
    assert [p.id for p in paused.pending] == ["customer-schema-change"]
    deciders = [
        lambda h=h, i=i: _decide(h, paused.thread_id, f"person-{i}")  # type: ignore[misc]
        for i, h in enumerate(homes)
    ]
    return paused.thread_id, run_together(deciders), first


def _check_one_decision(thread_id: str, outcomes: list[tuple[str, Any]], team: Opsteam) -> None:
    winners = [value for kind, value in outcomes if kind == "ok"]
    assert len(winners) == 1, outcomes
    [winner] = winners
    refused = [value for kind, value in outcomes if kind == "error"]
    assert len(refused) == len(outcomes) - 1
    for message in refused:
        assert "ConflictError" in message, message
        assert f"already decided by {winner} at" in message or "by another process" in message, (
            message
        )
    assert any(f"already decided by {winner} at" in m for m in refused), refused
    state = team.state(thread_id)
    assert [(d.checkpoint, d.by) for d in state.decisions] == [("customer-schema-change", winner)]
    assert approvers(team.home, thread_id) == [("customer-schema-change", winner)]


def test_deciders_in_many_processes_on_sqlite_apply_one_decision(tmp_path: Path) -> None:
    home = tmp_path / "home"
    thread_id, outcomes, team = _race([home] * PROCESSES)
    _check_one_decision(thread_id, outcomes, team)


@pytest.mark.postgres
def test_deciders_with_their_own_homes_on_one_postgres_apply_one_decision(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSTEAM_CHECKPOINT_URL", postgres_url)
    monkeypatch.setenv("OPSTEAM_DATABASE_URL", postgres_url)
    homes = [tmp_path / f"host-{i}" for i in range(PROCESSES)]
    thread_id, outcomes, team = _race(homes)
    _check_one_decision(thread_id, outcomes, team)


def test_a_decider_killed_after_claiming_still_wins_and_resume_applies_it(
    tmp_path: Path,
) -> None:
    from opsteam.domain.errors import ConflictError
    from tests.crash import KILLED, run_killed_at

    team = Opsteam(home=tmp_path / "home", verifier=ParseOnlyVerifier())
    request = parse_requests((EXAMPLES / "schema-migration.yaml").read_bytes())
    [paused] = team.submit(request)

    def alice() -> str:
        return _decide(tmp_path / "home", paused.thread_id, "alice")

    assert run_killed_at("decision-claimed", alice) == KILLED
    assert team.status(paused.thread_id).status == "awaiting-approval"  # not applied yet
    with pytest.raises(ConflictError, match="already decided by alice at"):
        _decide(tmp_path / "home", paused.thread_id, "bob")
    resumed = team.resume(paused.thread_id)
    assert [p.id for p in resumed.pending] == ["production-change"]
    assert [(d.checkpoint, d.by) for d in resumed.decisions] == [
        ("customer-schema-change", "alice")
    ]
    assert approvers(team.home, paused.thread_id) == [("customer-schema-change", "alice")]
