"""Deleting finished requests, then the stored bytes no request names any more.

What a pruned request loses: its checkpoints and pending writes (every step of its graph), its
decision rows (the exactly-once claims), its listing row and its owner row. What it keeps: the
approval rows (the audit trail of who decided what, when and why), its change row (the KPIs
count every change ever made) and its built stack (the infrastructure still exists, and the
address plan must never hand its range out again). Bundles written to disk are not touched.

A request is pruned only when it has ended (completed, rejected, redirected or failed) and no
process is working on it (its lock is free). Its checkpoints go first and its listing row
last, so a prune cut short is finished by the next one. Then every blob (artifact text or large
state value, :mod:`opsteam.application.artifact_store`) that no remaining checkpoint, pending
write or referenced blob names, and that no writer relied on in the last hour, is deleted.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, select

from opsteam.application.access import OwnerRow
from opsteam.application.artifact_store import ZIPPED, BlobSerializer
from opsteam.application.blobs import COLLECT_AFTER, BlobStore, unzipped
from opsteam.application.checkpoints import open_checkpointer
from opsteam.application.claims import ClaimStore
from opsteam.application.db import open_store
from opsteam.application.locks import LockBusy, thread_lock
from opsteam.application.tables import RequestRow
from opsteam.domain.errors import ConflictError, InputError, NotFoundError
from opsteam.domain.settings import Settings, checkpoint_url, database_url

ENDED = ("completed", "rejected", "redirected", "failed")
_SHA = re.compile(rb"[0-9a-f]{64}")
_CHUNK = 500
_ROWS = {
    False: (  # SQLite: (serialized type or None, payload)
        "SELECT type, checkpoint FROM checkpoints",
        "SELECT NULL, metadata FROM checkpoints",
        "SELECT type, value FROM writes",
    ),
    True: (  # PostgreSQL
        "SELECT NULL, checkpoint::text FROM checkpoints",
        "SELECT NULL, metadata::text FROM checkpoints",
        "SELECT type, blob FROM checkpoint_blobs WHERE blob IS NOT NULL",
        "SELECT type, blob FROM checkpoint_writes",
    ),
}


class PrunedRequest(BaseModel):
    thread_id: str
    status: str
    request: str
    updated_at: datetime


class PruneReport(BaseModel):
    """What a prune removed, or with ``dry_run`` what it would remove."""

    dry_run: bool
    requests: list[PrunedRequest]
    busy: list[str]  # ended, but another process held the request: left alone
    blobs_removed: int = 0
    blob_bytes_removed: int = 0


def _chosen(
    rows: Sequence[RequestRow], threads: Sequence[str], older_than: float | None, now: datetime
) -> list[RequestRow]:
    if not threads and older_than is None:
        raise InputError("name the requests to prune, or give --older-than DAYS")
    if older_than is not None and older_than < 0:
        raise InputError("--older-than: must be 0 or more days")
    by_id = {r.thread_id: r for r in rows}
    chosen = []
    for thread_id in dict.fromkeys(threads):
        row = by_id.get(thread_id)
        if row is None:
            raise NotFoundError(f"no request with thread id {thread_id!r}")
        if row.status not in ENDED:
            raise ConflictError(
                f"request {thread_id} has not ended (status: {row.status}); "
                "only a completed, rejected, redirected or failed request can be pruned"
            )
        chosen.append(row)
    if older_than is not None:
        cutoff = now - timedelta(days=older_than)
        old = [r for r in rows if r.status in ENDED and r.updated_at < cutoff]
        chosen += [r for r in old if r.thread_id not in {c.thread_id for c in chosen}]
    return sorted(chosen, key=lambda r: r.updated_at)


def prune(
    home: Path,
    settings: Settings,
    threads: Sequence[str] = (),
    older_than: float | None = None,
    *,
    apply: bool = False,
    now: datetime,
) -> PruneReport:
    """Prune the named requests and/or those ended more than ``older_than`` days ago; without
    ``apply``, only say which (nothing is deleted)."""
    with open_store(url=database_url(home, settings)) as store, store.session() as session:
        rows = list(session.scalars(select(RequestRow)))
    chosen = _chosen(rows, threads, older_than, now)
    found = [
        PrunedRequest(
            thread_id=r.thread_id, status=r.status, request=r.title, updated_at=r.updated_at
        )
        for r in chosen
    ]
    if not apply:
        return PruneReport(dry_run=True, requests=found, busy=[])
    done, busy = [], []
    for request in found:
        try:
            with thread_lock(checkpoint_url(home, settings), request.thread_id):
                _forget(home, settings, request.thread_id)
            done.append(request)
        except LockBusy:
            busy.append(request.thread_id)
    count, size = collect_blobs(home, settings, now.timestamp())
    return PruneReport(
        dry_run=False, requests=done, busy=busy, blobs_removed=count, blob_bytes_removed=size
    )


def _forget(home: Path, settings: Settings, thread_id: str) -> None:
    """Checkpoints and decision rows first, the listing row (the marker) last."""
    with open_checkpointer(home, settings) as saver:
        saver.delete_thread(thread_id)
    ClaimStore(checkpoint_url(home, settings)).forget(thread_id)
    with open_store(url=database_url(home, settings)) as store, store.session() as session:
        session.execute(delete(OwnerRow).where(OwnerRow.thread_id == thread_id))
        session.execute(delete(RequestRow).where(RequestRow.thread_id == thread_id))


def _named(kind: str | None, payload: Any) -> Iterator[str]:
    """Every sha256 a stored payload could name (any 64 hex digits: never too few)."""
    if payload is None:
        return
    data = payload.encode() if isinstance(payload, str) else bytes(payload)
    if kind == ZIPPED:
        data = zlib.decompress(data)
    for match in _SHA.finditer(data):
        yield match.group(0).decode()


def _referenced(store: BlobStore, known: set[str]) -> set[str]:
    """The blobs named by any checkpoint or pending write, and by those blobs in turn."""
    conn = store.connection()
    named: set[str] = set()
    for query in _ROWS[store.postgres_dialect]:
        for kind, payload in conn.execute(query):
            named.update(_named(kind, payload))
    frontier = sorted(named & known)
    while frontier:
        found: set[str] = set()
        for chunk in _chunks(frontier):
            for _, data in conn.execute(*_contents(store, chunk)):
                found.update(_named(None, unzipped(bytes(data))))
        frontier = sorted((found & known) - named)
        named |= found
    return named


def _contents(store: BlobStore, shas: Sequence[str]) -> tuple[str, Any]:
    if store.postgres_dialect:
        return "SELECT sha256, content FROM opsteam_blobs WHERE sha256 = ANY(%s)", (list(shas),)
    marks = ", ".join("?" * len(shas))
    return f"SELECT sha256, content FROM opsteam_blobs WHERE sha256 IN ({marks})", tuple(shas)


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def collect_blobs(home: Path, settings: Settings, now: float) -> tuple[int, int]:
    """Delete the blobs nothing names any more (and not relied on in the last hour): how
    many, and their stored bytes."""
    with open_checkpointer(home, settings) as saver:
        serde = saver.serde
        if not isinstance(serde, BlobSerializer):
            return 0, 0
        store = serde.blob_store
        conn = store.connection()
        rows = list(conn.execute("SELECT sha256, size, touched FROM opsteam_blobs").fetchall())
        referenced = _referenced(store, {str(r[0]) for r in rows})
        cutoff = now - COLLECT_AFTER
        doomed = [str(s) for s, _, t in rows if s not in referenced and t < cutoff]
        mark = "%s" if store.postgres_dialect else "?"
        removed: list[int] = []
        for chunk in _chunks(doomed):
            marks = ", ".join([mark] * len(chunk))
            query = (
                f"DELETE FROM opsteam_blobs WHERE sha256 IN ({marks}) AND touched < {mark} "
                "RETURNING size"
            )
            removed += [int(r[0]) for r in conn.execute(query, (*chunk, cutoff)).fetchall()]
        store.forget_stored()
        return len(removed), sum(removed)
