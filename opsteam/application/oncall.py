"""The on-call rotation: primary and secondary seats, daily handoff, optional people.

Pure: ``at`` is a parameter. Shifts start at the registry's handoff time (UTC) every day;
when people are configured for a role (``oncall.members``) they take turns one shift each,
counted from the first shift of 1970-01-01, so every process agrees on who holds a shift.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import NamedTuple

from opsteam.domain.incidents import as_utc
from opsteam.domain.registry import Registry, is_core

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SHIFT = timedelta(days=1)


class Seat(NamedTuple):
    role: str  # public role name, never an internal id
    person: str | None

    def __str__(self) -> str:
        return f"{self.role} ({self.person})" if self.person else self.role


class Shift(NamedTuple):
    primary: Seat
    secondary: Seat
    until: datetime

    @property
    def since(self) -> datetime:
        return self.until - SHIFT


def handoff_time(registry: Registry) -> time:
    hours, minutes = registry.oncall.handoff_utc.split(":")
    return time(int(hours), int(minutes), tzinfo=UTC)


def shift_index(at: datetime, registry: Registry) -> int:
    """How many handoffs have happened since the first shift of 1970-01-01."""
    first = datetime.combine(EPOCH.date(), handoff_time(registry))
    return (as_utc(at) - first) // SHIFT


def _seat(registry: Registry, role_key: str, index: int) -> Seat:
    role = registry.role(role_key)
    people = registry.oncall.members.get(role.slug, ()) if is_core(role.slug) else ()
    return Seat(role.name, people[index % len(people)] if people else None)


def who_is_on_call(at: datetime, registry: Registry) -> Shift:
    """``(primary, secondary, until)``: who holds the pager at ``at`` and until when."""
    index = shift_index(at, registry)
    first = datetime.combine(EPOCH.date(), handoff_time(registry))
    until = first + SHIFT * (index + 1)
    return Shift(
        primary=_seat(registry, registry.oncall.primary, index),
        secondary=_seat(registry, registry.oncall.secondary, index),
        until=until,
    )


def shift_view(shift: Shift, at: datetime, registry: Registry) -> dict[str, object]:
    """What ``opsteam oncall`` shows: seats by public name, the shift bounds in UTC."""
    return {
        "at": as_utc(at).isoformat(),
        "primary": {"role": shift.primary.role, "person": shift.primary.person},
        "secondary": {"role": shift.secondary.role, "person": shift.secondary.person},
        "since": shift.since.isoformat(),
        "until": shift.until.isoformat(),
        "handoff_utc": registry.oncall.handoff_utc,
    }
