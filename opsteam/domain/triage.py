"""What incident triage decides, typed: symptoms, the likely owner and the evidence for both.

Decided once by the incident commander (``opsteam.agents.sre.triage``), stored in the incident
and shown as is; nothing downstream re-derives an owner or a severity from text.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

from opsteam.domain.registry import RoleSlug
from opsteam.domain.severity import HandbookLevel, Severity

OWNING_TEAM: Literal["owning-team"] = "owning-team"
OwnerKey = Literal[RoleSlug, "owning-team"]
NoteKind = Literal["note", "diagnosis"]


class SymptomClass(StrEnum):
    AVAILABILITY = "availability"
    ERRORS = "errors"
    LATENCY = "latency"
    SATURATION = "saturation"
    CRASH = "crash/restart"
    CONNECTIVITY = "connectivity/DNS/TLS"
    DATA_STORE = "data store"
    DEPENDENCY = "dependency"
    CAPACITY = "capacity"
    COST = "cost"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EvidenceNote(_Frozen):
    """Text added while the incident is open: a note, or a diagnosis (weighed higher)."""

    kind: NoteKind
    text: str
    by: str
    at: datetime


class Symptom(_Frozen):
    """One class of symptom seen in one source; knock-on symptoms are effects, not causes."""

    symptom: SymptomClass
    subject: str  # what shows it: a service, a node, a data store
    source: str  # where it was seen: an alert, the description, a diagnosis
    knock_on: bool = False


class Candidate(_Frozen):
    """An owner the evidence points to, its weight, and each piece of evidence for it."""

    owner: OwnerKey
    score: float
    evidence: tuple[str, ...]


class Impact(_Frozen):
    """The severity one source supports, on the handbook's scale, and why."""

    severity: Severity
    handbook: HandbookLevel | None
    why: str
    source: str


class Assessment(_Frozen):
    """The commander's reading of all evidence at one moment."""

    symptoms: tuple[Symptom, ...]
    owner: OwnerKey
    owner_reason: str
    candidates: tuple[Candidate, ...]
    specialist: RoleSlug  # who the component-owner escalation level brings in
    severity: Severity
    severity_reason: str
    impacts: tuple[Impact, ...] = ()

    @property
    def handed_off(self) -> bool:
        return self.owner == OWNING_TEAM

    @property
    def knock_on(self) -> tuple[Symptom, ...]:
        return tuple(s for s in self.symptoms if s.knock_on)

    @property
    def evidence(self) -> tuple[str, ...]:
        """The evidence for the chosen owner (empty when nothing pointed anywhere)."""
        chosen = next((c for c in self.candidates if c.owner == self.owner), None)
        return chosen.evidence if chosen else ()
