"""Durable graph checkpoints: SQLite under the data home by default, Postgres by URL.

A paused graph is resumed later from another process that opens the same store.
Deserialisation is restricted to the state's own types (an explicit msgpack allowlist).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import typing
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver
from pydantic import BaseModel

from opsteam.application.artifact_store import (
    ArtifactRef,
    BlobSerializer,
    SentModel,
    StoredValue,
)
from opsteam.application.blobs import BlobStore
from opsteam.domain.settings import Settings, checkpoint_url


def _walk(tp: Any, seen: set[type]) -> None:
    if isinstance(tp, type) and tp not in seen:
        if issubclass(tp, BaseModel):
            seen.add(tp)
            for name, field in tp.model_fields.items():
                del name
                _walk(field.annotation, seen)
            return
        if issubclass(tp, Enum):
            seen.add(tp)
            return
    for arg in typing.get_args(tp):
        _walk(arg, seen)


def state_roots() -> tuple[type[BaseModel], ...]:
    """Every graph state stored in checkpoints, named here once, whatever was imported."""
    from opsteam.graphs.state import IncidentState, RequestState

    return (RequestState, IncidentState)


def allowlist(*roots: type[BaseModel]) -> set[tuple[str, str]]:
    """(module, name) of every model and enum the states can hold: nothing else deserialises."""
    seen: set[type] = set()
    for root in roots or state_roots():
        _walk(root, seen)
    return {(t.__module__, t.__name__) for t in seen}


def serializer(store: BlobStore | None = None) -> JsonPlusSerializer:
    """The state's types only; with a ``store``, artifact texts go there, not inline."""
    allowed = sorted(allowlist())
    if store is None:
        return JsonPlusSerializer(allowed_msgpack_modules=allowed)
    refs = [(t.__module__, t.__name__) for t in (ArtifactRef, StoredValue, SentModel)]
    return BlobSerializer(store, allowed_msgpack_modules=[*allowed, *refs])


# SQLite settings of the checkpoint file, chosen for "durable but frugal" (docs/architecture.md):
# WAL lets readers (status, show) run beside a writer; synchronous=NORMAL syncs at WAL
# checkpoints instead of every commit. A committed step survives a killed process (the WAL is
# in the OS's hands once written); only a power cut or OS crash can drop the last commits.
SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL")
MAX_SAVERS = 8  # a process normally has one data home; a test run opens many


@dataclass
class _Saver:
    saver: BaseCheckpointSaver[Any]
    close: Callable[[], None]
    alive: Callable[[], bool]


_SAVERS: OrderedDict[tuple[int, str, str], _Saver] = OrderedDict()
_SAVERS_LOCK = threading.Lock()


_SET_UP: set[str] = set()


def _set_up(url: str, saver: Any) -> None:
    """Create the checkpoint tables once per process, serialised across processes (a lock
    file next to SQLite, an advisory lock in PostgreSQL) so concurrent first commands agree."""
    if url in _SET_UP:
        saver.setup()  # a file deleted under the process is new again: a cheap check
        return
    from opsteam.application.locks import schema_lock

    with schema_lock(url):
        saver.setup()
    _SET_UP.add(url)


@contextmanager
def open_checkpointer(
    home: Path, settings: Settings | None = None
) -> Iterator[BaseCheckpointSaver[Any]]:
    """The process's one checkpointer (one connection) for the home's checkpoint store.

    Thread-safe: the LangGraph savers lock their connection around each call. A SQLite file
    deleted under the process, or a broken Postgres connection, is opened afresh.
    """
    url = checkpoint_url(home, settings)
    key = (os.getpid(), url, str(home.resolve()))
    with _SAVERS_LOCK:
        found = _SAVERS.pop(key, None)
        if found is not None and not found.alive():
            found.close()
            found = None
        found = found or _open(home, url)
        _SAVERS[key] = found
        while len(_SAVERS) > MAX_SAVERS:
            _, oldest = _SAVERS.popitem(last=False)
            oldest.close()
    yield found.saver


def _open(home: Path, url: str) -> _Saver:
    if url.startswith(("postgresql://", "postgres://")):
        return _postgres(url)
    home.mkdir(parents=True, exist_ok=True)
    store = BlobStore.sqlite(url)
    conn = sqlite3.connect(url, check_same_thread=False, timeout=30)
    for pragma in SQLITE_PRAGMAS:
        conn.execute(pragma)
    saver = SqliteSaver(conn, serde=serializer(store))
    _set_up(url, saver)
    return _Saver(saver, lambda: _close(conn, store), lambda: os.path.exists(url))


def _close(conn: Any, store: BlobStore) -> None:
    conn.close()
    store.close()


def _postgres(url: str) -> _Saver:
    try:
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg import Connection
        from psycopg.rows import dict_row
    except ImportError as exc:  # pragma: no cover - depends on the install
        from opsteam.domain.errors import OpsteamError

        raise OpsteamError(
            "a Postgres URL was configured but the postgres extra is not installed "
            "(pip install 'opsteam[postgres]')"
        ) from exc
    conn = Connection.connect(url, autocommit=True, prepare_threshold=0, row_factory=dict_row)
    store = BlobStore.postgres(url)
    saver = PostgresSaver(conn, serde=serializer(store))
    _set_up(url, saver)
    return _Saver(saver, lambda: _close(conn, store), lambda: not (conn.closed or conn.broken))
