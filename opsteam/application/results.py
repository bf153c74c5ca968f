"""What a caller gets back about a request: built from the graph snapshot, public names only.

The Python API is a way out too: every result leaves through the roster's redactor here,
so a caller holding a :class:`RunResult` sees what the CLI would print, never an internal ID
or a secret taken from the request text.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from opsteam.application.listing import PendingRef as PendingRef  # the listing's, re-exported
from opsteam.application.listing import RequestSummary as RequestSummary
from opsteam.application.listing import Status
from opsteam.application.model import ModelReport, model_report
from opsteam.domain.models import DecisionRecord, Finding, GateCheck, Redirect
from opsteam.domain.redaction import Redactor
from opsteam.domain.registry import Registry
from opsteam.graphs.review import ChangeReview, change_review
from opsteam.graphs.state import RequestState

EXIT_CODES: dict[str, int] = {
    "completed": 0,
    "redirected": 0,
    "rejected": 0,
    "awaiting-approval": 3,
    "failed": 1,
    "running": 1,
}


class PendingCheckpoint(BaseModel):
    id: str
    name: str
    reason: str
    round: int
    gate: list[GateCheck] = Field(default_factory=list)
    # Requested changes of earlier rounds: applied (field: value) and not applied (why).
    applied: list[str] = Field(default_factory=list)
    not_applied: list[str] = Field(default_factory=list)


class ArtifactInfo(BaseModel):
    path: str
    role: str
    kind: str


class CheckResult(BaseModel):
    path: str
    validator: str
    status: str
    message: str
    findings: list[Finding]


class RunResult(BaseModel):
    thread_id: str
    status: Status
    request: str
    environment: str
    summary: str
    team: list[str]
    design: str | None = None
    risk: str | None = None
    pending: list[PendingCheckpoint] = Field(default_factory=list)
    decisions: list[DecisionRecord] = Field(default_factory=list)
    redirect: Redirect | None = None
    artifacts: list[ArtifactInfo] = Field(default_factory=list)
    validations: list[CheckResult] = Field(default_factory=list)
    gate: list[GateCheck] = Field(default_factory=list)
    error: str | None = None
    bundle: str | None = None
    # Waiting at a checkpoint: what approving lets change (resources, cost, risk, files).
    review: ChangeReview | None = None
    # Where the bundle asked for will be written once the request completes.
    bundle_target: str | None = None
    # With a chat model configured: calls, tokens and fallbacks (None: the playbooks alone).
    model: ModelReport | None = None
    # What the team assumed rather than read from the request (e.g. the application port):
    # each for the requester to confirm.
    assumptions: list[str] = Field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]


def pending_from(interrupts: Any) -> list[PendingCheckpoint]:
    pending = []
    for item in interrupts:
        task = item.value
        pending.append(
            PendingCheckpoint(
                id=task["checkpoint"],
                name=task["name"],
                reason=task["reason"],
                round=task["round"],
                gate=[GateCheck.model_validate(g) for g in task["gate"]],
                applied=list(task.get("applied", [])),
                not_applied=list(task.get("not_applied", [])),
            )
        )
    return sorted(pending, key=lambda p: p.id)


def build_result(
    thread_id: str,
    state: RequestState,
    registry: Registry,
    interrupts: Any = (),
    error: str | None = None,
    next_nodes: tuple[str, ...] = (),
) -> RunResult:
    pending = pending_from(interrupts)
    status: Status = "awaiting-approval" if pending else state.status
    if not pending and next_nodes and not error:
        # Stopped mid-way (a role raised, or the process died): it can be resumed.
        error = (
            f"stopped before {', '.join(sorted(set(next_nodes)))}; "
            f"retry with: opsteam resume {thread_id}"
        )
    if error:
        status = "failed"
    design = state.design
    result = RunResult(
        thread_id=thread_id,
        status=status,
        request=state.request.request,
        environment=state.request.environment.value,
        summary=error
        or (
            "Waiting for approval: " + ", ".join(p.name for p in pending)
            if pending
            else state.summary
        ),
        team=[registry.role(r).name for r in state.worked],
        design=design.summary if design else None,
        risk=f"{design.risk.level} ({design.risk.score}/100)" if design else None,
        pending=pending,
        decisions=list(state.decisions),
        redirect=state.redirect,
        artifacts=[
            ArtifactInfo(path=a.path, role=registry.role(a.role).name, kind=a.kind)
            for a in state.all_artifacts()
        ],
        validations=[
            CheckResult(
                path=v.path,
                validator=v.validator,
                status=v.status.value,
                message=v.message,
                findings=list(v.findings),
            )
            for v in state.all_validations()
        ],
        gate=list(state.gate),
        error=error,
        review=change_review(state, thread_id) if pending else None,
        model=model_report(state.model_use, registry),
        assumptions=list(state.network.assumptions) if state.network else [],
    )
    return redacted(result, registry)


def redacted(result: RunResult, registry: Registry) -> RunResult:
    """``result`` as it may leave the process: roster IDs named, secrets masked."""
    return RunResult.model_validate(Redactor.for_registry(registry).value(result))
