"""The incident severity scale (P1-P4) and the handbook's alert severities (P0-P3).

The handbook rates alerts P0-P3 by user impact; incidents use P1-P4. The mapping is explicit
so a reason can say both: a total outage is handbook P0 and the incident's highest level, P1.
"""

from __future__ import annotations

from enum import StrEnum

from opsteam.domain.errors import InputError


class Severity(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"

    @property
    def rank(self) -> int:
        """1 is the most severe; comparisons by rank never depend on string order."""
        return int(self.value[1])


class HandbookLevel(StrEnum):
    """Alert severities of the operations handbook, by impact."""

    P0 = "P0"
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"


HANDBOOK_TO_INCIDENT: dict[HandbookLevel, Severity] = {
    HandbookLevel.P0: Severity.P1,  # the incident scale has no P0: its top level is P1
    HandbookLevel.P1: Severity.P1,
    HandbookLevel.P2: Severity.P2,
    HandbookLevel.P3: Severity.P3,
}
HANDBOOK_MEANING: dict[HandbookLevel, str] = {
    HandbookLevel.P0: "service completely down or data loss",
    HandbookLevel.P1: "partial outage or error rate above 5%",
    HandbookLevel.P2: "degraded performance or errors above 1%",
    HandbookLevel.P3: "minor issue, no user-facing outage",
}
INCIDENT_MEANING: dict[Severity, str] = {
    Severity.P1: "outage or high error rate",
    Severity.P2: "degraded performance or elevated errors",
    Severity.P3: "minor issue, no user-facing outage",
    Severity.P4: "no user impact expected",
}


# Handbook response times per alert level.
RESPONSE_TIME: dict[HandbookLevel, str] = {
    HandbookLevel.P0: "Immediate",
    HandbookLevel.P1: "< 15 minutes",
    HandbookLevel.P2: "< 1 hour",
    HandbookLevel.P3: "Next business day",
}
# The most an alert may page per environment: only production pages immediately (handbook:
# dev is local development, staging carries basic monitoring). Keyed by environment name.
ENVIRONMENT_CEILING: dict[str, HandbookLevel] = {
    "prod": HandbookLevel.P0,
    "staging": HandbookLevel.P1,
    "dev": HandbookLevel.P2,
}
_LEVELS = tuple(HandbookLevel)


def alert_level(level: HandbookLevel, environment: str) -> HandbookLevel:
    """An alert's level in an environment: its impact level, never above the ceiling."""
    ceiling = ENVIRONMENT_CEILING.get(environment, HandbookLevel.P0)
    return max(level, ceiling, key=_LEVELS.index)


def incident_severity(level: HandbookLevel) -> Severity:
    """The incident a firing alert opens: the one explicit mapping between the two scales."""
    return HANDBOOK_TO_INCIDENT[level]


def most_severe(levels: list[Severity]) -> Severity:
    return min(levels, key=lambda s: s.rank)


def parse_severity(value: str) -> Severity:
    key = value.strip().upper()
    try:
        return Severity(key)
    except ValueError:
        raise InputError(
            f"severity: unknown severity {value.strip()!r} (expected P1, P2, P3 or P4)"
        ) from None
