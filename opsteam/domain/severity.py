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
