"""The one shape every role has.

A role package exposes ``ROLE`` (its public slug), a pure ``decide(request, ctx)`` that returns
its typed decision, and ``render(decision, request, ctx)`` that turns the decision into
artifacts through packaged templates. The graph wires these; roles never read each other's
internals, only the decisions handed to them in :class:`RoleContext`. The architect's design
is always there: no role guesses what the architect would have said.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from pydantic import BaseModel

from opsteam.domain.decisions import (
    ArchitectDesign,
    AutomationPlan,
    DatabasePlan,
    NetworkPlan,
    ServerBaseline,
    StoragePlan,
)
from opsteam.domain.inputs import RunInputs
from opsteam.domain.models import Artifact, ChangeRequest, Finding
from opsteam.domain.registry import Registry, RoleSlug
from opsteam.domain.text import mentions

__all__ = ["RoleContext", "RoleModule", "mentions"]

DecisionT = TypeVar("DecisionT", bound=BaseModel)


@dataclass(frozen=True)
class RoleContext:
    """What a role may read: the registry, the design, earlier decisions and findings."""

    registry: Registry
    design: ArchitectDesign
    servers: ServerBaseline | None = None
    network: NetworkPlan | None = None
    database: DatabasePlan | None = None
    storage: StoragePlan | None = None
    automation: AutomationPlan | None = None
    # People's requested changes, oldest first (the architect revises the design with them).
    feedback: Sequence[str] = ()
    # Validator findings from an earlier attempt, so the role can fix its artifacts.
    findings: Sequence[Finding] = ()
    attempt: int = 1
    # Facts from outside the request: address pool, stacks opsteam built, runbook base URL.
    inputs: RunInputs = field(default_factory=RunInputs)
    extra: dict[str, object] = field(default_factory=dict)


class RoleModule(Protocol[DecisionT]):
    ROLE: RoleSlug

    def decide(self, request: ChangeRequest, ctx: RoleContext) -> DecisionT: ...

    def render(
        self, decision: DecisionT, request: ChangeRequest, ctx: RoleContext
    ) -> list[Artifact]: ...
