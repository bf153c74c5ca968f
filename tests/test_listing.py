"""The request listing: a current SQLite store is read with ``sqlite3``, the rows the ORM reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opsteam.application import listing
from opsteam.application.db import open_store, record_request
from opsteam.application.listing import recent_threads
from opsteam.intake import parse_requests

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)


def _stored(home: Path) -> None:
    """Three requests written through the store, each updated later than the one before."""
    [request] = parse_requests((ROOT / "examples" / "redis-cache-dev.yaml").read_bytes())
    pending = [{"id": "production-change", "name": "Production change"}]
    with open_store(home) as store:
        for i, status in enumerate(("completed", "awaiting-approval", "failed")):
            record_request(
                store,
                f"chg-00000000000{i}",
                request,
                status=status,
                summary=f"summary {i}: INF-003 and token=hunter2hunter2",
                pending=pending if status == "awaiting-approval" else [],
                at=T0 + timedelta(minutes=i),
            )


def test_the_fast_read_gives_what_the_store_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    _stored(home)
    through_store = [listing._summary(*row) for row in listing._read_through_store(home, 50)]

    def no_orm(home: Path, limit: int) -> list[object]:
        raise AssertionError("a current SQLite store is read without SQLAlchemy")

    monkeypatch.setattr(listing, "_read_through_store", no_orm)
    fast = recent_threads(home)
    assert fast == through_store
    assert [s.thread_id for s in fast] == [f"chg-00000000000{i}" for i in (2, 1, 0)]
    assert fast[1].pending[0].id == "production-change"
    assert fast[0].updated_at == T0 + timedelta(minutes=2)  # aware UTC, microseconds kept
    assert [s.thread_id for s in recent_threads(home, limit=1)] == ["chg-000000000002"]


def test_a_store_behind_the_packaged_schema_is_migrated_not_read_raw(tmp_path: Path) -> None:
    import sqlite3

    home = tmp_path / "home"
    _stored(home)
    with sqlite3.connect(home / "opsteam.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'older'")
    assert listing._read_current_sqlite(home / "opsteam.db", 50) is None


def test_a_new_home_is_created_and_lists_nothing(tmp_path: Path) -> None:
    assert recent_threads(tmp_path / "new") == []
    assert (tmp_path / "new" / "opsteam.db").is_file()
