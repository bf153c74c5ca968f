"""What a request changes, as typed facts with their evidence.

Routing and checkpoints read these facts, never the raw text: each assigned specialist and
each checkpoint carries the facts that caused it, and those facts are what a person sees.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from opsteam.domain.decisions import DesignComponent
from opsteam.domain.request_routing import FactKind


class Fact(BaseModel):
    """One thing the request changes: its kind, a short name and the words that said it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: FactKind
    detail: str
    evidence: str
    # Stated only as context (the justification or impact), not as what is asked for.
    context: bool = False

    def __str__(self) -> str:
        return f"{self.detail} ({self.evidence})" if self.evidence != self.detail else self.detail


class Intent(BaseModel):
    """The request understood: the components involved and the facts of the change."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    components: list[DesignComponent]
    facts: list[Fact] = Field(default_factory=list)
    # The ask is about watching or operating something (alerts, SLOs, autoscaling, limits),
    # not about building or changing infrastructure.
    watching: bool = False
    # The third party the request names is already integrated (a fix, not a new one).
    existing_integration: bool = False

    def of(self, *kinds: FactKind, asked: bool = False) -> list[Fact]:
        """Facts of these kinds; ``asked`` keeps only what the request asks for."""
        return [f for f in self.facts if f.kind in kinds and not (asked and f.context)]

    def has(self, *kinds: FactKind, asked: bool = False) -> bool:
        return bool(self.of(*kinds, asked=asked))
