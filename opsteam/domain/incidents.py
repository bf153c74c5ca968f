"""The incident record and its rules: severities, the forward-only status line, the timeline.

Pure data and checks; no clock, no I/O. Times are always timezone-aware UTC.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from opsteam.domain.alerts import Alert, alert_environment
from opsteam.domain.errors import ConflictError, InputError
from opsteam.domain.models import (
    _COMPONENT_ALIASES,
    _ENV_ALIASES,
    Environment,
    ShortText,
    Text,
    _alias,
)
from opsteam.domain.registry import RoleSlug
from opsteam.domain.secrets import mask_value, secret_kinds
from opsteam.domain.severity import Severity, parse_severity
from opsteam.domain.triage import Assessment, EvidenceNote

__all__ = ["Severity", "parse_severity"]

MAX_ALERT_KEYS = 200
MAX_COMPONENT = 32
# Real service names are short too (``ad``, ``db``): 2-40 characters.
SERVICE_SLUG = re.compile(r"[a-z][a-z0-9-]{0,38}[a-z0-9]")
_NO_COMPONENT = ("", "other", "unknown", "none", "n/a")
# Roles that can hold the component-owner escalation level themselves.
COMPONENT_SPECIALISTS: tuple[RoleSlug, ...] = (
    "systems-administrator",
    "network-engineer",
    "database-administrator",
    "automation-engineer",
)


class IncidentStatus(StrEnum):
    INVESTIGATING = "Investigating"
    IDENTIFIED = "Identified"
    FIXING = "Fixing"
    RESOLVED = "Resolved"


STATUS_ORDER: tuple[IncidentStatus, ...] = tuple(IncidentStatus)

EventKind = Literal[
    "opened",
    "triaged",
    "routed",
    "rerouted",
    "handed-off",
    "evidence",
    "severity",
    "escalated",
    "human-requested",
    "human-decision",
    "status",
    "update",
    "resolved",
    "postmortem",
]


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC; naive times are refused (logic never guesses a zone)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must include a timezone, e.g. 2026-12-01T02:00:00Z")
    return value.astimezone(UTC)


UtcTime = Annotated[datetime, AfterValidator(as_utc)]


def parse_status(value: str) -> IncidentStatus:
    for status in IncidentStatus:
        if status.value.lower() == value.strip().lower():
            return status
    names = ", ".join(s.value for s in IncidentStatus)
    raise InputError(f"status: unknown status {value.strip()!r} (expected one of {names})")


def parse_time(text: str | None, field: str, *, default: datetime | None = None) -> datetime:
    """ISO 8601 time or date (``default`` when absent); a time without a zone is UTC."""
    if text is None:
        if default is None:
            raise InputError(f"{field}: a time is required")
        return as_utc(default)
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"{field}: {text!r} is not an ISO 8601 time (e.g. 2026-03-10T10:00:00Z)"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _service_slug(value: str) -> str:
    if secret_kinds(value):  # names are made from it: refused, never masked into a name
        raise PydanticCustomError("secret", "holds a secret; take it out of the service name")
    if not SERVICE_SLUG.fullmatch(value):
        raise PydanticCustomError(
            "service_slug",
            "{value} is not a service slug (2-40 lowercase letters, digits and hyphens, "
            "starting with a letter, e.g. ad or billing-db)",
            {"value": repr(value)},
        )
    return value


def _small_alert(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is not None and len(value) > MAX_ALERT_KEYS:
        raise ValueError(f"alert payload has more than {MAX_ALERT_KEYS} keys")
    # Stored with the incident: its labels and annotations are masked as they are read.
    masked: dict[str, Any] | None = mask_value(value)
    return masked


AlertPayload = Annotated[dict[str, Any] | None, AfterValidator(_small_alert)]


def _component(value: Any) -> Any:
    """Free text, normalised like a request's component (``db`` -> ``database``); optional."""
    if not isinstance(value, str):
        return value
    text = re.sub(r"\s+", " ", value.strip().lower())
    text = _COMPONENT_ALIASES.get(text, text)
    return None if text in _NO_COMPONENT else text


ComponentText = Annotated[
    Annotated[str, StringConstraints(max_length=MAX_COMPONENT, pattern=r"^[a-z0-9][a-z0-9 ./_-]*$")]
    | None,
    BeforeValidator(_component),
]


class IncidentReport(BaseModel):
    """What the reporter (a person or an alert) says: the input of triage."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: ShortText
    description: Text
    service: Annotated[str, AfterValidator(_service_slug)]
    component: ComponentText = None  # what the opener suspects, if anything; a hint only
    environment: Annotated[Environment, _alias(_ENV_ALIASES)]
    detected_at: UtcTime
    severity: Severity | None = None  # the reporter's own call overrides triage
    alert: AlertPayload = None

    @model_validator(mode="before")
    @classmethod
    def _environment_from_the_alert(cls, data: Any) -> Any:
        """Not given: the alert's environment label says it; else production, the side
        that escalates (a staging alert read as production pages too much, never too little)."""
        if not isinstance(data, dict) or data.get("environment") is not None:
            return data
        alert = data.get("alert")
        said = alert_environment(alert) if isinstance(alert, dict) else None
        said = _ENV_ALIASES.get(said, said) if said else None
        known = said in {e.value for e in Environment}
        return {**data, "environment": said if known else Environment.PROD.value}

    @property
    def text(self) -> str:
        return " ".join([self.title, self.description, self.component or ""]).strip().lower()


def incident_id(report: IncidentReport) -> str:
    """A stable public id: the same report (title, service, environment, time) is one incident."""
    key = "|".join(
        [report.title, report.service, report.environment.value, report.detected_at.isoformat()]
    )
    return "inc-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]


class TimelineEvent(BaseModel):
    model_config = ConfigDict(frozen=True)
    seq: int = Field(ge=1)
    at: UtcTime
    kind: EventKind
    message: str
    communication: str | None = None  # the rendered incident update, when one was sent


class HumanDecision(BaseModel):
    model_config = ConfigDict(frozen=True)
    by: ShortText
    at: UtcTime
    decision: Text


class Incident(BaseModel):
    """An incident as the commander tracks it; every change appends to the timeline."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(pattern=r"^inc-[0-9a-f]{8}$")
    report: IncidentReport
    severity: Severity
    severity_reason: str
    status: IncidentStatus = IncidentStatus.INVESTIGATING
    impact: str
    current_action: str
    eta: UtcTime | None = None
    owner: RoleSlug | None = None  # the team member holding it (the commander for a hand-off)
    owner_reason: str = ""
    owner_set_by: str | None = None  # a person chose the owner; evidence no longer moves it
    handoff: str | None = None  # the team outside ours that owns the fault, when handed off
    specialist: RoleSlug | None = None  # who the component-owner escalation level brings in
    alerts: tuple[Alert, ...] = ()  # every alert seen, from the opening payload and later
    notes: tuple[EvidenceNote, ...] = ()  # notes and diagnoses added as evidence
    assessment: Assessment | None = None  # the latest triage of all the evidence
    level: str = ""  # the escalation level that holds the incident now
    awaiting_human: str | None = None  # why a human decision is pending
    decisions: tuple[HumanDecision, ...] = ()
    resolved_at: UtcTime | None = None
    root_cause: str | None = None
    follow_ups: tuple[str, ...] = ()
    postmortem: str | None = None
    timeline: tuple[TimelineEvent, ...] = ()

    @property
    def is_major(self) -> bool:
        return self.severity is Severity.P1 and self.report.environment is Environment.PROD

    @property
    def component_owner(self) -> RoleSlug | None:
        """The specialist the component-owner escalation level names (never the commander)."""
        if self.owner in COMPONENT_SPECIALISTS:
            return self.owner
        return self.specialist

    @property
    def last_at(self) -> datetime:
        return self.timeline[-1].at if self.timeline else self.report.detected_at

    def with_event(
        self, at: datetime, kind: EventKind, message: str, communication: str | None = None
    ) -> Incident:
        event = TimelineEvent(
            seq=len(self.timeline) + 1,
            at=at,
            kind=kind,
            message=message,
            communication=communication,
        )
        return self.model_copy(update={"timeline": (*self.timeline, event)})


def check_transition(current: IncidentStatus, new: IncidentStatus) -> None:
    """Statuses only move forward; a resolved incident stays resolved."""
    if current is IncidentStatus.RESOLVED:
        raise ConflictError("incident is already resolved")
    if STATUS_ORDER.index(new) < STATUS_ORDER.index(current):
        raise ConflictError(f"status cannot go back from {current.value} to {new.value}")


def check_time(incident: Incident, at: datetime, *, what: str = "time") -> None:
    """Commands happen in order: never before detection nor before the last timeline entry."""
    at = as_utc(at)
    if at < incident.report.detected_at:
        raise InputError(
            f"{what}: {at.isoformat()} is before the incident was detected "
            f"({incident.report.detected_at.isoformat()})"
        )
    if at < incident.last_at:
        raise InputError(
            f"{what}: {at.isoformat()} is in the past (last update {incident.last_at.isoformat()})"
        )


def check_eta(eta: datetime, now: datetime) -> None:
    if as_utc(eta) < as_utc(now):
        raise InputError(f"eta: {as_utc(eta).isoformat()} is in the past")
