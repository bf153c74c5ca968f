"""Request listings, read from the history store's index.

Flat in the number of stored requests (one indexed query), and free of the graph machinery,
so ``opsteam status`` starts as fast as the other commands that run no graph. A SQLite store
already at the packaged schema is read with the standard library's ``sqlite3`` (two queries,
no SQLAlchemy to import); any other store (PostgreSQL, a new or older file) goes through
:func:`opsteam.application.db.open_store`, which migrates it first.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from opsteam.domain.settings import database_url

Status = Literal["completed", "awaiting-approval", "rejected", "redirected", "failed", "running"]
_SQLITE = "sqlite:///"
_COLUMNS = "thread_id, status, title, environment, summary, pending, updated_at"


class PendingRef(BaseModel):
    id: str
    name: str


class RequestSummary(BaseModel):
    """One line of a listing, read from the history store's index (never the checkpoints)."""

    thread_id: str
    status: Status
    request: str
    environment: str
    summary: str
    pending: list[PendingRef] = Field(default_factory=list)
    updated_at: datetime


def recent_threads(home: Path, limit: int = 50) -> list[RequestSummary]:
    """Most recently updated requests first."""
    url = database_url(home)
    rows = None
    if url.startswith(_SQLITE):
        rows = _read_current_sqlite(Path(url.removeprefix(_SQLITE)), limit)
    if rows is None:
        rows = _read_through_store(home, limit)
    return [_summary(*row) for row in rows]


def _read_current_sqlite(path: Path, limit: int) -> list[tuple[Any, ...]] | None:
    """The rows of a SQLite store already at the packaged schema; None for any other store."""
    query = f"SELECT {_COLUMNS} FROM requests ORDER BY updated_at DESC LIMIT ?"
    rows = read_current_sqlite(path, query, limit)
    if rows is None:
        return None
    return [(*row[:5], json.loads(row[5]), _utc(row[6])) for row in rows]


def read_current_sqlite(path: Path, query: str, *params: Any) -> list[tuple[Any, ...]] | None:
    """``query``'s rows from a SQLite store already at the packaged schema, read with the
    standard library; None for any other store (absent, older, not a store yet)."""
    from opsteam.migrations import HEAD_REVISION

    if not path.is_file():
        return None
    try:
        with _closing(sqlite3.connect(path, timeout=30)) as conn:
            versions = [v for (v,) in conn.execute("SELECT version_num FROM alembic_version")]
            if versions != [HEAD_REVISION]:
                return None
            return conn.execute(query, params).fetchall()
    except sqlite3.DatabaseError:  # not a store at all yet, or not this schema: migrate
        return None


def _read_through_store(home: Path, limit: int) -> list[tuple[Any, ...]]:
    from opsteam.application.db import open_store, recent_requests

    with open_store(home) as store:
        rows = recent_requests(store, limit)
    return [
        (r.thread_id, r.status, r.title, r.environment, r.summary, r.pending, r.updated_at)
        for r in rows
    ]


def _summary(*row: Any) -> RequestSummary:
    thread_id, status, title, environment, summary, pending, updated_at = row
    return RequestSummary(
        thread_id=thread_id,
        status=status,
        request=title,
        environment=environment,
        summary=summary,
        pending=pending,
        updated_at=updated_at,
    )


def _utc(stored: str) -> datetime:
    """A timestamp as the store keeps it in SQLite (UTC, no zone), aware."""
    return datetime.fromisoformat(stored).replace(tzinfo=UTC)


class _closing:
    """Close the connection (sqlite3's own context manager only ends the transaction)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()
