"""The history store: migrations, transactional writes the request flow calls, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import ops_db
import pytest
import sqlalchemy as sa

from opsteam.application.db import (
    normalize_url,
    open_store,
    record_approval,
    record_change,
    record_cost_sample,
)
from opsteam.application.tables import ApprovalRow, ChangeRow, CostSampleRow
from opsteam.domain.errors import InputError
from opsteam.domain.models import ChangeRequest, DecisionRecord

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
db_url = ops_db.db_url  # fixtures: SQLite, and Postgres when configured
postgres_url = ops_db.postgres_url


def change_request(**overrides: Any) -> ChangeRequest:
    data: dict[str, Any] = {
        "request": "Billing database",
        "type": "New",
        "component": "database",
        "description": "A Postgres database for billing",
        "justification": "Billing launch",
        "timeline": "next week",
        "impact": "None, new service",
        "requester": "payments team",
        "environment": "prod",
        "service": "billing-db",
    }
    return ChangeRequest.model_validate({**data, **overrides})


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = sa.create_engine(normalize_url(url))
    tables = ["changes", "approvals", "cost_samples", "incidents", "incident_events"]
    with engine.connect() as conn:
        result = {
            t: sorted(map(tuple, conn.execute(sa.text(f"SELECT * FROM {t}")))) for t in tables
        }
    engine.dispose()
    return result


def test_migrations_create_every_table_and_are_idempotent(db_url: str) -> None:
    with open_store(url=db_url):
        pass
    with open_store(url=db_url) as store:  # a second open (another process) is a no-op
        names = set(sa.inspect(store.engine).get_table_names())
    assert {"incidents", "incident_events", "changes", "approvals", "cost_samples"} <= names
    assert "alembic_version" in names


def test_record_change_stores_and_updates_by_thread(db_url: str) -> None:
    request = change_request()
    with open_store(url=db_url) as store:
        record_change(store, "t-1", request, "failed", T0, created_at=T0 - timedelta(hours=1))
        record_change(
            store,
            "t-1",
            request,
            "succeeded",
            T0 + timedelta(hours=1),
            resources_as_code=4,
            resources_total=5,
            bundle_path="/tmp/bundle",
        )
        with store.session() as session:
            rows = list(session.scalars(sa.select(ChangeRow)))
    assert len(rows) == 1
    row = rows[0]
    assert (row.thread_id, row.outcome, row.service, row.environment, row.type) == (
        "t-1",
        "succeeded",
        "billing-db",
        "prod",
        "New",
    )
    assert row.created_at == T0 - timedelta(hours=1)  # kept from the first record
    assert row.finished_at == T0 + timedelta(hours=1)
    assert row.finished_at.tzinfo is not None
    assert (row.resources_as_code, row.resources_total, row.bundle_path) == (4, 5, "/tmp/bundle")


def test_record_change_accepts_the_callers_session(db_url: str) -> None:
    with open_store(url=db_url) as store:
        with store.session() as session:
            record_change(session, "t-2", change_request(), "rolled-back", T0)
        with store.session() as session:
            assert session.get(ChangeRow, "t-2") is not None


@pytest.mark.parametrize(
    ("outcome", "at", "counts", "message"),
    [
        ("exploded", T0, (None, None), "outcome"),
        ("succeeded", T0.replace(tzinfo=None), (None, None), "at: must include a timezone"),
        ("succeeded", T0, (6, 5), "resources"),
        ("succeeded", T0, (-1, 5), "resources"),
    ],
)
def test_bad_change_input_changes_nothing(
    db_url: str, outcome: str, at: datetime, counts: tuple[int | None, int | None], message: str
) -> None:
    with open_store(url=db_url) as store:
        record_change(store, "t-ok", change_request(), "succeeded", T0)
    before = dump(db_url)
    with open_store(url=db_url) as store, pytest.raises(InputError) as caught:
        record_change(
            store,
            "t-bad",
            change_request(),
            outcome,
            at,
            resources_as_code=counts[0],
            resources_total=counts[1],
        )
    assert message in caught.value.lines()[0]
    assert dump(db_url) == before


def test_a_failing_transaction_leaves_no_partial_writes(db_url: str) -> None:
    before_open = None
    with open_store(url=db_url) as store:
        before_open = dump(db_url)
        with pytest.raises(RuntimeError), store.session() as session:
            record_change(session, "t-3", change_request(), "succeeded", T0)
            record_cost_sample(session, "2026-10", 100.0)
            raise RuntimeError("boom after the writes")
    assert dump(db_url) == before_open


def test_record_approval_once_per_round(db_url: str) -> None:
    decision = DecisionRecord(
        checkpoint="production-change", verdict="changes", by="alice", at=T0, reason="add DR"
    )
    with open_store(url=db_url) as store:
        record_approval(store, "t-1", decision)
        record_approval(store, "t-1", decision.model_copy(update={"verdict": "approve"}))
        record_approval(store, "t-1", decision.model_copy(update={"round": 2}))
        with store.session() as session:
            rows = list(session.scalars(sa.select(ApprovalRow).order_by(ApprovalRow.round)))
    assert [(r.round, r.verdict, r.by, r.reason) for r in rows] == [
        (1, "approve", "alice", "add DR"),
        (2, "changes", "alice", "add DR"),
    ]
    assert rows[0].at == T0


def test_cost_samples_replace_by_month_and_reject_bad_input(db_url: str) -> None:
    with open_store(url=db_url) as store:
        record_cost_sample(store, "2025-10", 1000.0)
        record_cost_sample(store, "2025-10", 1200.5)
        before = dump(db_url)
        for month, amount in [("2025-13", 1.0), ("10/2025", 1.0), ("2025-11", -5.0)]:
            with pytest.raises(InputError):
                record_cost_sample(store, month, amount)
        with store.session() as session:
            assert session.get(CostSampleRow, "2025-10").amount == 1200.5  # type: ignore[union-attr]
    assert dump(db_url) == before


def test_open_store_from_home_uses_sqlite_under_the_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPSTEAM_DATABASE_URL", raising=False)
    with open_store(tmp_path) as store:
        assert str(store.engine.url) == f"sqlite:///{tmp_path / 'opsteam.db'}"
    assert (tmp_path / "opsteam.db").is_file()
