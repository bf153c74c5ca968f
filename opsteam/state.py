"""The one typed state of the request graph.

Each role writes only its own slice; lists that parallel branches write to have reducers.
"""

from __future__ import annotations

import operator
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from opsteam.decisions import (
    ArchitectDesign,
    AutomationPlan,
    DatabasePlan,
    NetworkPlan,
    ReliabilityPlan,
    ServerBaseline,
)
from opsteam.models import (
    Artifact,
    ChangeRequest,
    DecisionRecord,
    GateCheck,
    Redirect,
    ValidationResult,
)

RunStatus = Literal["running", "completed", "rejected", "redirected", "failed"]


def merge_artifacts(old: list[Artifact], new: list[Artifact]) -> list[Artifact]:
    """Later versions of a path replace earlier ones; order is by path for stable output."""
    by_path = {a.path: a for a in old}
    by_path.update({a.path: a for a in new})
    return [by_path[p] for p in sorted(by_path)]


def merge_validations(
    old: list[ValidationResult], new: list[ValidationResult]
) -> list[ValidationResult]:
    by_key = {(v.path, v.validator): v for v in old}
    by_key.update({(v.path, v.validator): v for v in new})
    return [by_key[k] for k in sorted(by_key)]


def add_unique(old: list[str], new: list[str]) -> list[str]:
    return old + [x for x in new if x not in old]


class RequestState(BaseModel):
    thread_id: str = ""
    request: ChangeRequest
    status: RunStatus = "running"
    redirect: Redirect | None = None
    design: ArchitectDesign | None = None
    servers: ServerBaseline | None = None
    network: NetworkPlan | None = None
    database: DatabasePlan | None = None
    automation: AutomationPlan | None = None
    reliability: ReliabilityPlan | None = None
    artifacts: Annotated[list[Artifact], merge_artifacts] = Field(default_factory=list)
    validations: Annotated[list[ValidationResult], merge_validations] = Field(
        default_factory=list
    )
    decisions: Annotated[list[DecisionRecord], operator.add] = Field(default_factory=list)
    feedback: list[str] = Field(default_factory=list)
    round: int = 1
    fix_attempts: dict[str, int] = Field(default_factory=dict)
    gate: list[GateCheck] = Field(default_factory=list)
    worked: Annotated[list[str], add_unique] = Field(default_factory=list)
    summary: str = ""
