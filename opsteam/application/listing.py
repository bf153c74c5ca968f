"""Request listings, read from the history store's index.

Flat in the number of stored requests (one indexed query), and free of the graph machinery,
so ``opsteam status`` starts as fast as the other commands that run no graph.
"""

from __future__ import annotations

from pathlib import Path

from opsteam.application.db import open_store, recent_requests
from opsteam.application.results import RequestSummary


def recent_threads(home: Path, limit: int = 50) -> list[RequestSummary]:
    """Most recently updated requests first."""
    with open_store(home) as store:
        rows = recent_requests(store, limit)
    return [
        RequestSummary(
            thread_id=r.thread_id,
            status=r.status,
            request=r.title,
            environment=r.environment,
            summary=r.summary,
            pending=r.pending,
            updated_at=r.updated_at,
        )
        for r in rows
    ]
