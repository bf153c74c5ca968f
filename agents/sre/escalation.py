"""Who holds an incident as time passes: the registry's escalation windows.

Pure: the clock is a parameter (``now``), never read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from opsteam.domain.incidents import as_utc
from opsteam.domain.registry import EscalationLevel, Registry, RoleSlug, is_core

HUMAN = "human"
COMPONENT = "component"
HUMAN_NAME = "Human escalation"


@dataclass(frozen=True)
class EscalationStep:
    """One window of the path; ``role`` is a public slug, or None for the human level."""

    level: str
    role: RoleSlug | None
    holder: str  # public name shown to people
    from_minutes: int
    until_minutes: int | None

    @property
    def is_human(self) -> bool:
        return self.role is None


def _step(registry: Registry, spec: EscalationLevel, owner: RoleSlug | None) -> EscalationStep:
    if spec.role == HUMAN:
        role: RoleSlug | None = None
        holder = HUMAN_NAME
    else:
        key = spec.role if spec.role != COMPONENT else owner or registry.oncall.primary
        found = registry.role(key)
        role, holder = (found.slug if is_core(found.slug) else None), found.name
    return EscalationStep(spec.level, role, holder, spec.from_minutes, spec.until_minutes)


def escalation_path(registry: Registry, owner: RoleSlug | None) -> list[EscalationStep]:
    """The whole path for an incident whose component owner is ``owner``."""
    levels = sorted(registry.escalation, key=lambda e: e.from_minutes)
    return [_step(registry, spec, owner) for spec in levels]


def minutes_open(detected_at: datetime, now: datetime) -> float:
    return (as_utc(now) - as_utc(detected_at)).total_seconds() / 60


def level_at(
    registry: Registry, *, detected_at: datetime, now: datetime, owner: RoleSlug | None
) -> EscalationStep:
    """The level holding the incident ``now`` (a time before detection counts as minute 0)."""
    elapsed = max(0.0, minutes_open(detected_at, now))
    path = escalation_path(registry, owner)
    current = path[0]
    for step in path:
        if elapsed >= step.from_minutes:
            current = step
    return current


def passed_levels(
    registry: Registry,
    *,
    detected_at: datetime,
    since_level: str,
    now: datetime,
    owner: RoleSlug | None,
) -> list[EscalationStep]:
    """Levels reached after ``since_level`` up to ``now``, in order (a tick may skip windows)."""
    path = escalation_path(registry, owner)
    names = [s.level for s in path]
    start = names.index(since_level) + 1 if since_level in names else 0
    current = level_at(registry, detected_at=detected_at, now=now, owner=owner)
    end = names.index(current.level) + 1
    return path[start:end]


def next_escalation_at(
    registry: Registry, *, detected_at: datetime, now: datetime, owner: RoleSlug | None
) -> datetime | None:
    """When the incident moves to the next level, or None at the last level."""
    current = level_at(registry, detected_at=detected_at, now=now, owner=owner)
    if current.until_minutes is None:
        return None
    return as_utc(detected_at) + timedelta(minutes=current.until_minutes)


def holder_of(registry: Registry, level: str, owner: str | None) -> str:
    """Who holds an incident at ``level`` (public name), or the level itself if unknown."""
    slug = owner if is_core(owner) else None
    for step in escalation_path(registry, slug):
        if step.level == level:
            return step.holder
    return level
