"""Locks held in (or next to) the databases themselves, so every process on every host agrees.

Creating or migrating a schema is serialised: a PostgreSQL advisory lock, or a lock file next
to a SQLite database file (concurrent first commands all succeed). A request thread is worked
on by one process at a time: an advisory lock in the PostgreSQL that holds its checkpoints, or
a lock file next to the SQLite checkpoint file - never a file under one home, which a second
home (or host) on the same database would not see.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_POSTGRES = ("postgresql://", "postgres://", "postgresql+")
SCHEMA_WAIT_SECONDS = 300.0
POLL_SECONDS = 0.05


class LockBusy(Exception):
    """Another process holds the lock (raised only when asked not to wait)."""


def is_postgres(url: str) -> bool:
    return url.startswith(_POSTGRES)


def libpq_url(url: str) -> str:
    """A SQLAlchemy-style Postgres URL (``postgresql+psycopg://``) as libpq reads it."""
    if url.startswith("postgresql+"):
        return "postgresql://" + url.split("://", 1)[1]
    return url


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL or plain path; None for an in-memory database."""
    path = url.split("///", 1)[1] if url.startswith("sqlite") else url
    path = path.split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path)


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a name (the same on every host)."""
    digest = hashlib.sha256(f"opsteam:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


_IDLE: dict[tuple[int, str, bool], list[Any]] = {}
_IDLE_LOCK = threading.Lock()
KEPT_CONNECTIONS = 4  # idle PostgreSQL connections kept per URL (a server runs a few at once)


@contextmanager
def pg_connection(url: str, *, autocommit: bool) -> Iterator[Any]:
    """A PostgreSQL connection of this process, reused: a new session per lock or claim
    cost a backend start each time (several milliseconds, more under load). It comes back
    idle (no transaction, no lock: the callers commit, roll back and unlock) or is closed."""
    import psycopg

    key = (os.getpid(), libpq_url(url), autocommit)  # a forked child never uses its parent's
    with _IDLE_LOCK:
        idle = _IDLE.setdefault(key, [])
        conn = idle.pop() if idle else None
    if conn is None or conn.closed or conn.broken:
        conn = psycopg.connect(key[1], autocommit=autocommit)
    reusable = False
    try:
        yield conn
        reusable = True
    finally:
        idle_now = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        if reusable and idle_now and not conn.closed and not conn.broken:
            with _IDLE_LOCK:
                if len(_IDLE[key]) < KEPT_CONNECTIONS:
                    _IDLE[key].append(conn)
                    conn = None
        if conn is not None:
            conn.close()


def _try_advisory(conn: Any, key: int) -> bool:
    row: Any = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
    return bool(row and row[0])


@contextmanager
def _advisory(url: str, key: int, *, wait: bool) -> Iterator[None]:
    """A session-level advisory lock on a connection of its own while held (an error on
    the way out closes the connection, which releases it)."""
    with pg_connection(url, autocommit=True) as conn:
        deadline = time.monotonic() + (SCHEMA_WAIT_SECONDS if wait else 0)
        while not _try_advisory(conn, key):
            # Polled, not a blocking pg_advisory_lock: a session waiting inside a statement
            # holds a snapshot, and the holder's CREATE INDEX CONCURRENTLY would wait for it.
            if time.monotonic() >= deadline:
                raise LockBusy(key)
            time.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


@contextmanager
def _lock_file(path: Path, *, wait: bool) -> Iterator[None]:
    from filelock import FileLock, Timeout

    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path), timeout=SCHEMA_WAIT_SECONDS if wait else 0, is_singleton=False)
    try:
        lock.acquire()
    except Timeout:
        raise LockBusy(str(path)) from None
    try:
        yield
    finally:
        lock.release()


@contextmanager
def schema_lock(url: str) -> Iterator[None]:
    """Held while a database's schema is created or migrated; waits for whoever holds it."""
    if is_postgres(url):
        with _advisory(url, lock_key("schema"), wait=True):
            yield
        return
    database = sqlite_file(url)
    if database is None:  # an in-memory database belongs to this process alone
        yield
        return
    with _lock_file(database.with_name(database.name + ".migrate.lock"), wait=True):
        yield


@contextmanager
def thread_lock(checkpoint_url: str, thread_id: str) -> Iterator[None]:
    """One process at a time works on a request thread; raises LockBusy when taken."""
    if is_postgres(checkpoint_url):
        with _advisory(checkpoint_url, lock_key(f"thread:{thread_id}"), wait=False):
            yield
        return
    database = sqlite_file(checkpoint_url) or Path(checkpoint_url)
    name = hashlib.sha256(thread_id.encode()).hexdigest()[:24]
    with _lock_file(database.parent / "locks" / f"{name}.lock", wait=False):
        yield
