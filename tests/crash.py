"""Real ``kill -9`` of a forked process at a named point, and reading what it left behind.

A forked child shares the parent's imports (no interpreter start-up per trial) but is a real
process: the fault hook sends it SIGKILL, so nothing after the point runs (no ``finally``, no
flush, no exit handler).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from opsteam.application.db import open_store
from opsteam.application.faults import ENV
from opsteam.application.tables import ApprovalRow, ChangeRow, RequestRow

KILLED = -signal.SIGKILL


def _forget_inherited_connections() -> None:
    """A child must not use (or close) the parent's pooled database connections."""
    from opsteam.application import db

    for engine in list(db._ENGINES.values()):
        engine.dispose(close=False)
    db._ENGINES.clear()


def _child(work: Callable[[], Any], point: str | None, queue: Any) -> None:
    _forget_inherited_connections()
    if point is not None:
        os.environ[ENV] = point
    try:
        outcome: Any = ("ok", work())
    except Exception as exc:  # reported to the parent, which asserts on it
        outcome = ("error", f"{type(exc).__name__}: {exc}")
    if queue is not None:
        queue.put(outcome)


def run_killed_at(point: str | None, work: Callable[[], Any], timeout: float = 120) -> int:
    """Run ``work`` in a forked process that dies at ``point``; its exit code."""
    context = multiprocessing.get_context("fork")
    process = context.Process(target=_child, args=(work, point, None))
    process.start()
    process.join(timeout)
    if process.is_alive():
        process.kill()
        process.join()
        raise AssertionError(f"the process meant to die at {point} hung")
    assert process.exitcode is not None
    return process.exitcode


def run_together(works: list[Callable[[], Any]], timeout: float = 120) -> list[tuple[str, Any]]:
    """Run each callable in its own forked process, all at once; each one's outcome."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    processes = [context.Process(target=_child, args=(w, None, queue)) for w in works]
    for process in processes:
        process.start()
    outcomes = [queue.get(timeout=timeout) for _ in processes]
    for process in processes:
        process.join(timeout)
    return outcomes


def bundle_bytes(folder: Path) -> dict[str, bytes]:
    """Every file of a bundle by its relative path."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def history_counts(home: Path, thread_id: str) -> dict[str, int]:
    """How many rows of each history table a request thread has."""
    with open_store(home) as store, store.session() as session:

        def count(table: Any) -> int:
            query = select(func.count()).select_from(table).where(table.thread_id == thread_id)
            return int(session.scalar(query) or 0)

        return {
            "requests": count(RequestRow),
            "changes": count(ChangeRow),
            "approvals": count(ApprovalRow),
        }


def approvers(home: Path, thread_id: str) -> list[tuple[str, str]]:
    """(checkpoint, decider) of every approval row of a thread, in checkpoint order."""
    with open_store(home) as store, store.session() as session:
        rows = session.scalars(
            select(ApprovalRow)
            .where(ApprovalRow.thread_id == thread_id)
            .order_by(ApprovalRow.checkpoint, ApprovalRow.round)
        )
        return [(r.checkpoint, r.by) for r in rows]
