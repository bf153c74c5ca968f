"""Durable graph checkpoints: SQLite under the data home by default, Postgres by URL.

A paused graph is resumed later from another process that opens the same store.
Deserialisation is restricted to the state's own types (an explicit msgpack allowlist).
"""

from __future__ import annotations

import sqlite3
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver
from pydantic import BaseModel

from opsteam.domain.settings import checkpoint_url


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


def serializer() -> JsonPlusSerializer:
    return JsonPlusSerializer(allowed_msgpack_modules=sorted(allowlist()))


_SET_UP: set[str] = set()


def _set_up(url: str, saver: Any) -> None:
    """Create the checkpoint tables once per process, serialised across processes (a lock
    file next to SQLite, an advisory lock in PostgreSQL) so concurrent first commands agree."""
    if url in _SET_UP:
        saver.setup()  # tables exist: a no-op check
        return
    from opsteam.application.locks import schema_lock

    with schema_lock(url):
        saver.setup()
    _SET_UP.add(url)


@contextmanager
def open_checkpointer(home: Path) -> Iterator[BaseCheckpointSaver[Any]]:
    url = checkpoint_url(home)
    if url.startswith(("postgresql://", "postgres://")):
        with _postgres(url) as saver:
            yield saver
        return
    conn = sqlite3.connect(url, check_same_thread=False, timeout=30)
    try:
        saver = SqliteSaver(conn, serde=serializer())
        _set_up(url, saver)
        yield saver
    finally:
        conn.close()


@contextmanager
def _postgres(url: str) -> Iterator[BaseCheckpointSaver[Any]]:
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
    with Connection.connect(
        url, autocommit=True, prepare_threshold=0, row_factory=dict_row
    ) as conn:
        saver = PostgresSaver(conn, serde=serializer())
        _set_up(url, saver)
        yield saver
