"""Decision rows in the database that holds the checkpoints: one decision per interrupt.

Deciding a checkpoint first inserts a row keyed by (thread, interrupt id) in the same database
as the graph's checkpoints. The primary key lets exactly one decider win, whatever the number
of processes, homes or hosts sharing that database; the others are told who decided and when.
The row also keeps the full answer, so a decider killed before the graph resumed can be
finished by ``opsteam resume`` with the very same answer (same decider in state and history).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from opsteam.application.locks import is_postgres, pg_connection, schema_lock, sqlite_file

TABLE = "opsteam_decisions"
_DDL = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    thread_id TEXT NOT NULL,
    interrupt_id TEXT NOT NULL,
    checkpoint TEXT NOT NULL,
    by_name TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    answer TEXT NOT NULL,
    bundle_dir TEXT,
    PRIMARY KEY (thread_id, interrupt_id)
)"""
_COLUMNS = "interrupt_id, checkpoint, by_name, decided_at, answer, bundle_dir"
_READY: set[str] = set()
_READY_LOCK = threading.Lock()


@dataclass(frozen=True)
class Claim:
    """One interrupt's decision: the resume value, who gave it, when, and any bundle target."""

    interrupt_id: str
    checkpoint: str
    by: str
    at: str
    answer: dict[str, Any]
    bundle_dir: str | None = None


class AlreadyDecided(Exception):
    def __init__(self, claim: Claim) -> None:
        super().__init__(claim.checkpoint)
        self.claim = claim


def _row(row: Sequence[Any]) -> Claim:
    interrupt_id, checkpoint, by, at, answer, bundle_dir = row
    return Claim(interrupt_id, checkpoint, by, at, json.loads(answer), bundle_dir)


def _values(thread_id: str, c: Claim) -> tuple[str | None, ...]:
    return (thread_id, c.interrupt_id, c.checkpoint, c.by, c.at, json.dumps(c.answer), c.bundle_dir)


class ClaimStore:
    """The decision rows of one checkpoint database (SQLite file or PostgreSQL URL)."""

    def __init__(self, checkpoint_url: str) -> None:
        self.url = checkpoint_url
        self.postgres = is_postgres(checkpoint_url)
        self.mark = "%s" if self.postgres else "?"

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        """A connection in manual-commit mode (PostgreSQL: the process's, reused), the table
        created once per process."""
        if self.postgres:
            with pg_connection(self.url, autocommit=False) as conn:
                self._ready(conn)
                yield conn
            return
        conn = sqlite3.connect(str(sqlite_file(self.url)), timeout=30, isolation_level=None)
        conn.execute("PRAGMA synchronous=NORMAL")  # the checkpoint file's (WAL) setting
        try:
            self._ready(conn)
            yield conn
        finally:
            conn.close()

    def _ready(self, conn: Any) -> None:
        with _READY_LOCK:
            if self.url not in _READY:
                with schema_lock(self.url):
                    conn.execute(_DDL)
                    if self.postgres:
                        conn.commit()
                _READY.add(self.url)

    def claim(self, thread_id: str, claims: Sequence[Claim]) -> None:
        """Insert every claim or none; raises AlreadyDecided with the first one taken."""
        values = [_values(thread_id, c) for c in claims]
        marks = ", ".join([self.mark] * 7)
        insert = f"INSERT INTO {TABLE} (thread_id, {_COLUMNS}) VALUES ({marks})"
        with self._connect() as conn:
            try:
                self._begin(conn)
                for value in values:
                    conn.execute(insert, value)
                self._end(conn, "COMMIT")
            except Exception as exc:
                self._end(conn, "ROLLBACK")
                if not self._unique_violation(exc):
                    raise
                taken = self._find(conn, thread_id, [c.interrupt_id for c in claims])
                if not taken:
                    raise
                raise AlreadyDecided(next(iter(taken.values()))) from None

    def _begin(self, conn: Any) -> None:
        if not self.postgres:
            conn.execute("BEGIN IMMEDIATE")  # SQLite's write lock, taken up front

    def _end(self, conn: Any, how: str) -> None:
        if self.postgres:
            conn.commit() if how == "COMMIT" else conn.rollback()
        elif conn.in_transaction:
            conn.execute(how)

    def _unique_violation(self, exc: Exception) -> bool:
        if self.postgres:
            import psycopg

            return isinstance(exc, psycopg.errors.UniqueViolation)
        return isinstance(exc, sqlite3.IntegrityError)

    def release(self, thread_id: str, claims: Sequence[Claim]) -> None:
        """Withdraw claims this process made but could not apply (nothing was decided)."""
        delete = (
            f"DELETE FROM {TABLE} WHERE thread_id = {self.mark} AND interrupt_id = {self.mark}"
            f" AND decided_at = {self.mark}"
        )
        with self._connect() as conn:
            for c in claims:
                conn.execute(delete, (thread_id, c.interrupt_id, c.at))
            if self.postgres:
                conn.commit()

    def forget(self, thread_id: str) -> None:
        """Delete every decision row of a request being pruned (history keeps the approvals)."""
        with self._connect() as conn:
            conn.execute(f"DELETE FROM {TABLE} WHERE thread_id = {self.mark}", (thread_id,))
            if self.postgres:
                conn.commit()

    def find(self, thread_id: str, interrupt_ids: Sequence[str]) -> dict[str, Claim]:
        """The claims made for these interrupts (e.g. still pending after a crash)."""
        if not interrupt_ids:
            return {}
        with self._connect() as conn:
            return self._find(conn, thread_id, interrupt_ids)

    def _find(self, conn: Any, thread_id: str, interrupt_ids: Sequence[str]) -> dict[str, Claim]:
        marks = ", ".join([self.mark] * len(interrupt_ids))
        query = (
            f"SELECT {_COLUMNS} FROM {TABLE} "
            f"WHERE thread_id = {self.mark} AND interrupt_id IN ({marks})"
        )
        rows = conn.execute(query, (thread_id, *interrupt_ids)).fetchall()
        if self.postgres:
            conn.rollback()
        found = [_row(r) for r in rows]
        return {c.interrupt_id: c for c in found}

    def bundle_dir(self, thread_id: str) -> str | None:
        """The newest bundle target a decider asked for on this thread, if any."""
        query = (
            f"SELECT bundle_dir FROM {TABLE} WHERE thread_id = {self.mark} "
            "AND bundle_dir IS NOT NULL ORDER BY decided_at DESC"
        )
        with self._connect() as conn:
            row = conn.execute(query, (thread_id,)).fetchone()
            if self.postgres:
                conn.rollback()
        return str(row[0]) if row else None
