"""The roadmap fitted to the request's timeline: its phases between the run's date and the
date the requester asked for, or flagged when that date leaves too little (or no) time.

The timeline is free text on the form ("2026-12-08", "end of quarter", "next sprint",
"before the December billing run"); :func:`deadline` reads the usual ways of saying a date
and returns None for the rest, which the plan then says plainly instead of guessing.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from opsteam.domain.decisions.plan import RoadmapPhase
from opsteam.domain.models import MaintenanceWindow

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_WEEKS = re.compile(r"\b(\d+|one|two|three|four|six|eight)\s+weeks?\b")
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "six": 6, "eight": 8}


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _named_month(text: str, today: date) -> date | None:
    """ "before the December billing run": the day before that month starts (the next such
    month); said during that month, its end."""
    for name, month in _MONTHS.items():
        if re.search(rf"\b{name}\b", text):
            if month == today.month:
                return _month_end(today)
            start = date(today.year if month > today.month else today.year + 1, month, 1)
            return start - timedelta(days=1) if "before" in text else _month_end(start)
    return None


def _relative(text: str, today: date, window: MaintenanceWindow | None) -> date | None:
    if "maintenance window" in text and window is not None:
        return window.start.date()
    if "end of quarter" in text or "this quarter" in text:
        last = ((today.month - 1) // 3 + 1) * 3
        return _month_end(today.replace(day=1, month=last))
    if "next month" in text:
        return _month_end(_month_end(today) + timedelta(days=1))
    if "end of month" in text or "this month" in text:
        return _month_end(today)
    if "next sprint" in text:
        return today + timedelta(days=14)
    weeks = _WEEKS.search(text)
    if weeks is not None:
        count = _WORDS.get(weeks.group(1)) or int(weeks.group(1))
        return today + timedelta(weeks=count)
    return None


def deadline(timeline: str, today: date, window: MaintenanceWindow | None = None) -> date | None:
    """The date a timeline names, relative to ``today``; None when it names none."""
    text = timeline.lower()
    found = _ISO.search(text)
    if found is not None:
        try:
            return date(int(found[1]), int(found[2]), int(found[3]))
        except ValueError:
            return None
    return _relative(text, today, window) or _named_month(text, today)


def schedule(
    tasks: list[str],
    today: date,
    due: date | None,
    window: tuple[int, date] | None = None,
) -> tuple[list[RoadmapPhase], str]:
    """Phases with dates between ``today`` and ``due``, the phase ``window[0]`` on the
    maintenance window's date ``window[1]``, and what to tell the reader."""
    if due is None and window is None:
        weekly = [_phase(i, task, f"Week {i}") for i, task in enumerate(tasks, start=1)]
        return weekly, (
            "The timeline names no date: one week per phase; agree dates with the requester."
        )
    if window is None:
        assert due is not None
        spans, note = _fit(len(tasks), today, due)
    elif (window[1] - today).days < window[0] - 1:  # no room before the window, or it passed
        spans, _ = _fit(len(tasks), today, max(due or today, today))
        note = (
            f"The maintenance window ({window[1].isoformat()}) leaves no time for the "
            f"{window[0] - 1} phase(s) before it or has passed: schedule a new window; "
            "phases compressed meanwhile."
        )
    else:
        index, day = window
        end = max(due or day, day)
        before, note = _fit(index - 1, today, day - timedelta(days=1))
        after, _ = _fit(len(tasks) - index, day + timedelta(days=1), end)
        spans = [*before, (day, day), *after]
        if due is not None and day > due:
            note = f"The maintenance window ({day.isoformat()}) is after the requested date."
    phases = [
        _phase(i, task, f"{a.isoformat()} - {b.isoformat()}")
        for i, (task, (a, b)) in enumerate(zip(tasks, spans, strict=True), start=1)
    ]
    return phases, note


def _fit(count: int, start: date, end: date) -> tuple[list[tuple[date, date]], str]:
    """``count`` consecutive spans from ``start`` to ``end``, at least a day each."""
    if count <= 0:
        return [], ""
    days = (end - start).days + 1
    note = f"Phases fitted between {start.isoformat()} and {end.isoformat()} ({days} day(s))."
    if days < count:
        what = "has passed" if end < start else "leaves fewer days than phases"
        note = (
            f"The requested date {end.isoformat()} {what}: phases compressed to one day each; "
            "escalate to the requester before committing to it."
        )
        days = count
    spans: list[tuple[date, date]] = []
    first = start
    for index in range(count):
        length = days // count + (1 if index < days % count else 0)
        last = first + timedelta(days=length - 1)
        spans.append((first, last))
        first = last + timedelta(days=1)
    return spans, note


def _phase(index: int, task: str, timeline: str) -> RoadmapPhase:
    return RoadmapPhase(
        phase=index,
        tasks=task,
        timeline=timeline,
        dependencies="None" if index == 1 else f"Phase {index - 1}",
    )
