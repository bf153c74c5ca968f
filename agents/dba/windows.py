"""When the database's own jobs run: the RDS backup and maintenance windows, and the AWS
Backup rules scheduled clear of both.

AWS Backup's snapshot of an RDS instance is delayed or fails while RDS takes its automated
backup or patches the instance, so the long-term rules never start within an hour of either
window. The weekly maintenance window is treated as daily: simpler, and it costs only a few
hourly snapshots, which point-in-time recovery covers anyway.
"""

from __future__ import annotations

from opsteam.domain.decisions import BackupRule
from opsteam.domain.models import Engine

RDS_BACKUP_WINDOW = "03:00-03:30"  # UTC, daily
RDS_MAINTENANCE_WINDOW = "sun:03:30-sun:04:30"  # UTC, weekly; must not overlap the backup window
# ElastiCache: a daily snapshot window and a weekly maintenance window that must not overlap.
CACHE_SNAPSHOT_WINDOW = "03:00-04:00"
CACHE_MAINTENANCE_WINDOW = "sun:04:30-sun:05:30"
MARGIN_MINUTES = 60
# The handbook's long-term retention in production: (rule, days kept).
RETENTION = (("hourly", 7), ("daily", 30), ("weekly", 90), ("monthly", 365))
_DAY = 24 * 60


def windows_for(engine: Engine) -> tuple[str, str]:
    """(daily backup or snapshot window, weekly maintenance window) of the engine's service."""
    if engine is Engine.REDIS:
        return CACHE_SNAPSHOT_WINDOW, CACHE_MAINTENANCE_WINDOW
    return RDS_BACKUP_WINDOW, RDS_MAINTENANCE_WINDOW


def _minutes(clock: str) -> int:
    """'sun:03:30' or '03:30' -> minutes after midnight (the weekday is dropped)."""
    hours, minutes = clock.split(":")[-2:]
    return int(hours) * 60 + int(minutes)


def _span(window: str) -> tuple[int, int]:
    start, end = (_minutes(part) for part in window.split("-"))
    return start, end if end > start else end + _DAY


def busy_hours(*windows: str, margin: int = MARGIN_MINUTES) -> frozenset[int]:
    """Hours of the day in which a job starting on the hour falls within ``margin`` of a window."""
    busy: set[int] = set()
    for window in windows:
        start, end = _span(window)
        for hour in range(24):
            for at in (hour * 60, hour * 60 + _DAY):
                if start - margin <= at < end + margin:
                    busy.add(hour)
    return frozenset(busy)


def _ranges(hours: list[int]) -> str:
    """[0, 1, 6, 7, 8] -> '0-1,6-8' (AWS cron lists)."""
    parts: list[str] = []
    start = previous = hours[0]
    for hour in [*hours[1:], None]:
        if hour is not None and hour == previous + 1:
            previous = hour
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if hour is not None:
            start = previous = hour
    return ",".join(parts)


def backup_rules(backup_window: str, maintenance_window: str) -> list[BackupRule]:
    """AWS Backup rules for the handbook's retention, none starting near either RDS window."""
    busy = busy_hours(backup_window, maintenance_window)
    free = [hour for hour in range(24) if hour not in busy]
    # The long-term copies start at the first free hour after the windows, when RDS is done.
    after = max(_span(w)[1] for w in (backup_window, maintenance_window)) // 60
    first = next(h % 24 for h in range(after, after + 24) if h % 24 not in busy)
    schedules = {
        "hourly": f"cron(0 {_ranges(free)} * * ? *)",
        "daily": f"cron(0 {first} * * ? *)",
        "weekly": f"cron(0 {first} ? * SUN *)",
        "monthly": f"cron(0 {first} 1 * ? *)",
    }
    return [
        BackupRule(name=name, schedule=schedules[name], delete_after_days=days)
        for name, days in RETENTION
    ]
