"""The team's KPIs from recorded history, against the registry's targets.

Pure: history comes in as plain facts, the window as parameters.

* Availability: share of the window without an open P1 production incident (downtime is the
  union of P1 production incident intervals, an unresolved one lasting until the window end).
* Mean time to recovery: mean of resolved-minus-detected minutes of incidents detected in
  the window and resolved.
* Change success rate: succeeded / (succeeded + failed + rolled-back) of changes finished in
  the window; rejected changes never ran and do not count.
* Infrastructure as code: resources managed as code / all resources, over changes in the
  window that recorded both counts.
* Cost trend: latest monthly cost against the same month one year earlier, in percent.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from opsteam.domain.incidents import as_utc
from opsteam.domain.registry import Kpi, Registry

KpiStatus = Literal["met", "missed", "no data"]
EXECUTED = ("succeeded", "failed", "rolled-back")
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<": operator.lt,
    "<=": operator.le,
}


@dataclass(frozen=True)
class IncidentFact:
    severity: str
    environment: str
    detected_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True)
class ChangeFact:
    outcome: str
    finished_at: datetime
    resources_as_code: int | None = None
    resources_total: int | None = None


@dataclass(frozen=True)
class CostFact:
    month: str  # YYYY-MM
    amount: float


@dataclass(frozen=True)
class KpiResult:
    key: str
    name: str
    target: float
    comparison: str
    unit: str
    actual: float | None
    status: KpiStatus
    detail: str


def _result(kpi: Kpi, actual: float | None, detail: str) -> KpiResult:
    if actual is None:
        return KpiResult(
            kpi.key, kpi.name, kpi.target, kpi.comparison, kpi.unit, None, "no data", detail
        )
    value = round(actual, 3)
    met = _COMPARE[kpi.comparison](value, kpi.target)
    return KpiResult(
        kpi.key,
        kpi.name,
        kpi.target,
        kpi.comparison,
        kpi.unit,
        value,
        "met" if met else "missed",
        detail,
    )


def downtime_minutes(incidents: Sequence[IncidentFact], since: datetime, until: datetime) -> float:
    """Union of P1 production incident intervals, clipped to the window, in minutes."""
    spans = sorted(
        (max(as_utc(i.detected_at), since), min(as_utc(i.resolved_at or until), until))
        for i in incidents
        if i.severity == "P1" and i.environment == "prod"
    )
    total = 0.0
    end: datetime | None = None
    for start, stop in spans:
        begin = max(start, end) if end is not None else start
        if stop > begin:  # spans are sorted by start, so stop is the new furthest end
            total += (stop - begin).total_seconds() / 60
            end = stop
    return total


def availability(
    incidents: Sequence[IncidentFact], since: datetime, until: datetime
) -> float | None:
    window = (until - since).total_seconds() / 60
    if window <= 0:
        return None
    return 100 * (1 - downtime_minutes(incidents, since, until) / window)


def mttr(incidents: Sequence[IncidentFact], since: datetime, until: datetime) -> float | None:
    durations = [
        (as_utc(i.resolved_at) - as_utc(i.detected_at)).total_seconds() / 60
        for i in incidents
        if i.resolved_at is not None and since <= as_utc(i.detected_at) <= until
    ]
    return sum(durations) / len(durations) if durations else None


def _in_window(changes: Sequence[ChangeFact], since: datetime, until: datetime) -> list[ChangeFact]:
    return [c for c in changes if since <= as_utc(c.finished_at) <= until]


def change_success_rate(
    changes: Sequence[ChangeFact], since: datetime, until: datetime
) -> float | None:
    ran = [c for c in _in_window(changes, since, until) if c.outcome in EXECUTED]
    if not ran:
        return None
    return 100 * sum(c.outcome == "succeeded" for c in ran) / len(ran)


def iac_share(changes: Sequence[ChangeFact], since: datetime, until: datetime) -> float | None:
    counted = [
        c
        for c in _in_window(changes, since, until)
        if c.resources_total and c.resources_as_code is not None
    ]
    total = sum(c.resources_total or 0 for c in counted)
    if total == 0:
        return None
    return 100 * sum(c.resources_as_code or 0 for c in counted) / total


def _year_before(month: str) -> str:
    year, mon = month.split("-")
    return f"{int(year) - 1:04d}-{mon}"


def cost_trend(costs: Sequence[CostFact], until: datetime) -> tuple[float | None, str]:
    upto = f"{as_utc(until):%Y-%m}"
    by_month = {c.month: c.amount for c in costs if c.month <= upto}
    if not by_month:
        return None, "no cost samples recorded"
    latest = max(by_month)
    before = by_month.get(_year_before(latest))
    if not before:
        return None, f"no cost sample for {_year_before(latest)} to compare {latest} with"
    trend = 100 * (by_month[latest] - before) / before
    return trend, f"{latest} vs {_year_before(latest)}"


DEFAULT_WINDOW = timedelta(days=30)


def compute_kpis(
    registry: Registry,
    *,
    incidents: Sequence[IncidentFact],
    changes: Sequence[ChangeFact],
    costs: Sequence[CostFact],
    since: datetime | None,
    until: datetime,
) -> list[KpiResult]:
    """Every registry KPI with target, actual and status (met / missed / no data)."""
    until = as_utc(until)
    starts = [as_utc(i.detected_at) for i in incidents] + [as_utc(c.finished_at) for c in changes]
    # Default: the last 30 days, the usual SLO window (the first record would make a fresh
    # install's window a few seconds long and its availability meaningless).
    start: datetime | None = as_utc(since) if since is not None else until - DEFAULT_WINDOW
    window = f"{start:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} UTC" if starts else "no history"
    results = []
    for kpi in registry.kpis:
        actual: float | None = None
        detail = window
        if kpi.key == "cost_trend":
            actual, detail = cost_trend(costs, until)
        elif start is not None and kpi.key == "availability" and starts:
            actual = availability(incidents, start, until)
        elif start is not None and kpi.key == "mttr":
            actual = mttr(incidents, start, until)
        elif start is not None and kpi.key == "change_success_rate":
            actual = change_success_rate(changes, start, until)
        elif start is not None and kpi.key == "iac_coverage":
            actual = iac_share(changes, start, until)
        results.append(_result(kpi, actual, detail))
    return results


def kpi_rows(results: Sequence[KpiResult]) -> list[dict[str, object]]:
    """What ``opsteam kpis`` shows: target, actual and status of every KPI."""
    return [
        {
            "key": r.key,
            "name": r.name,
            "target": f"{r.comparison} {r.target:g} {r.unit}",
            "actual": r.actual,
            "unit": r.unit,
            "status": r.status,
            "detail": r.detail,
        }
        for r in results
    ]
