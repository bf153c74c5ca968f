"""KPIs over time: each KPI computed at several window ends, for charts against the target.

Pure :func:`trend` (history in, series out) and :func:`load_trend` (reads the history store).
Every point is the same 30-day window ``opsteam kpis`` reports, ending at that point.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from opsteam.application.db import open_store
from opsteam.application.incident_store import kpi_history
from opsteam.application.kpis import (
    DEFAULT_WINDOW,
    ChangeFact,
    CostFact,
    IncidentFact,
    compute_kpis,
)
from opsteam.domain.incidents import as_utc
from opsteam.domain.registry import Registry

MAX_POINTS = 24


def trend(
    registry: Registry,
    *,
    incidents: Sequence[IncidentFact],
    changes: Sequence[ChangeFact],
    costs: Sequence[CostFact],
    until: datetime,
    points: int = 6,
    step: timedelta = DEFAULT_WINDOW,
) -> list[dict[str, Any]]:
    """One series per KPI, oldest point first: actual and status at each window end."""
    points = max(1, min(points, MAX_POINTS))
    ends = [as_utc(until) - step * i for i in reversed(range(points))]
    series: dict[str, dict[str, Any]] = {}
    for end in ends:
        for result in compute_kpis(
            registry, incidents=incidents, changes=changes, costs=costs, since=None, until=end
        ):
            row = series.setdefault(
                result.key,
                {
                    "key": result.key,
                    "name": result.name,
                    "target": result.target,
                    "comparison": result.comparison,
                    "unit": result.unit,
                    "points": [],
                },
            )
            row["points"].append(
                {"at": end.isoformat(), "actual": result.actual, "status": result.status}
            )
    return list(series.values())


def load_trend(
    home: Path, registry: Registry, *, until: datetime, points: int = 6
) -> list[dict[str, Any]]:
    with open_store(home) as store, store.session() as session:
        incidents, changes, costs = kpi_history(session)
    return trend(
        registry, incidents=incidents, changes=changes, costs=costs, until=until, points=points
    )
