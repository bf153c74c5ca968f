"""Pure routing and gate logic of the request graph, testable without compiling it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

from opsteam.domain.decisions import ArchitectDesign
from opsteam.domain.models import (
    ChangeRequest,
    CheckpointNeed,
    DecisionRecord,
    Environment,
    Finding,
    GateCheck,
    ValidationResult,
    ValidationStatus,
)
from opsteam.domain.registry import Registry
from opsteam.domain.text import mentions
from opsteam.graphs.state import RequestState

MAX_FIX_ATTEMPTS = 2
SPECIALIST_NODES = ("systems-administrator", "network-engineer", "database-administrator")
DESIGN_GATE_KINDS = (
    "architecture-change",
    "external-integration",
    "customer-schema-change",
    "cross-division",
)
Review = Literal["approved", "rejected", "changes"]
# Review outcomes that send the run back to the architect (which asks its checkpoints again).
BACK_TO_DESIGN = ("changes", "unanswered")


def design_checkpoints(design: ArchitectDesign) -> list[CheckpointNeed]:
    """Checkpoints asked right after the design; production approval comes at the end."""
    return [c for c in design.checkpoints if c.kind in DESIGN_GATE_KINDS]


def unanswered(
    design: ArchitectDesign, decisions: Sequence[DecisionRecord], round_: int
) -> list[str]:
    """Design checkpoints of this round nobody decided (a cancelled one with no other verdict)."""
    decided = {d.checkpoint for d in decisions if d.round == round_}
    return [c.kind for c in design_checkpoints(design) if c.kind not in decided]


def specialists(design: ArchitectDesign, registry: Registry) -> list[str]:
    """Node names of the specialists the architect assigned, in roster order."""
    assigned = {a.role for a in design.assignments}
    return [slug for slug in SPECIALIST_NODES if slug in assigned]


def review(decisions: Sequence[DecisionRecord], round_: int) -> Review:
    """Outcome of one checkpoint round: any rejection wins, then any request for changes."""
    verdicts = {d.verdict for d in decisions if d.round == round_}
    if "reject" in verdicts:
        return "rejected"
    if "changes" in verdicts:
        return "changes"
    return "approved"


def failures(results: Sequence[ValidationResult]) -> list[Finding]:
    """Findings to hand back to the role that produced failing artifacts (errors only)."""
    found: list[Finding] = []
    for result in results:
        if result.status is ValidationStatus.FAILED:
            found += result.errors or [
                Finding(
                    validator=result.validator,
                    check_id=result.validator,
                    file=result.path,
                    message=f"{result.validator} failed",
                )
            ]
    return found


def tally(results: Sequence[ValidationResult]) -> str:
    """``12 passed, 1 not-installed`` (or ``none run``), for summaries."""
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status.value] = counts.get(result.status.value, 0) + 1
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none run"


def should_retry(results: Sequence[ValidationResult], attempts: int) -> bool:
    return bool(failures(results)) and attempts < MAX_FIX_ATTEMPTS


URGENT_WORDS = ("urgent", "emergency", "hotfix", "critical fix", "critical security")
FRIDAY = 4


def is_urgent(request: ChangeRequest) -> bool:
    """Marked urgent in its words: the only reason the handbook accepts a Friday change."""
    return bool(mentions(request.text, URGENT_WORDS))


def window_check(request: ChangeRequest, at: datetime | None) -> tuple[bool, str]:
    """The maintenance window against the handbook at ``at`` (when the gate is decided or
    the change approved): still ahead, and not on a Friday unless the change is urgent."""
    window = request.maintenance_window
    if window is None:
        prod = request.environment is Environment.PROD
        env = request.environment.value
        return (
            (False, "no maintenance window scheduled") if prod else (True, f"not required ({env})")
        )
    start = window.start.astimezone(UTC)
    end = start + timedelta(minutes=window.duration_minutes)
    span = f"{start:%Y-%m-%d %H:%M} - {end:%H:%M} UTC"
    if start.weekday() == FRIDAY and not is_urgent(request):
        return False, f"window {span} is on a Friday: no Friday changes unless marked urgent"
    if at is None:
        return True, f"window: {span}"
    when = at.astimezone(UTC)
    if end <= when:
        return False, f"window {span} was already over at {when:%Y-%m-%d %H:%M} UTC"
    if start <= when:
        return False, f"window {span} had already started at {when:%Y-%m-%d %H:%M} UTC"
    hours = int((start - when).total_seconds() // 3600)
    return True, f"window: {span} (starts in {hours} h)"


def change_approval(
    state: RequestState, registry: Registry, at: datetime | None = None
) -> list[GateCheck]:
    """The team's change-approval gate, item by item, from evidence in the state; the
    window is judged at ``at`` (the approval), else at the run's own time."""
    items = registry.gates.change_approval
    design = state.design
    prod = state.request.environment is Environment.PROD
    rollback = design.rollback_plan if design else []
    artifacts = {a.path for a in state.all_artifacts()}
    monitoring = state.reliability is not None and any(
        p.startswith("monitoring/") for p in artifacts
    )
    notice = "docs/maintenance-notice.txt" in artifacts
    evidence = {
        "documented": (
            True,
            f"change request '{state.request.request}' recorded with all form fields",
        ),
        "risk": (
            design is not None,
            f"risk {design.risk.level} ({design.risk.score}/100)" if design else "no design",
        ),
        "rollback": (bool(rollback), f"{len(rollback)} rollback step(s)"),
        "window": window_check(state.current_request, at or state.inputs.now),
        "stakeholder": (
            notice or not prod,
            "maintenance notification prepared"
            if notice
            else "no notification needed outside production"
            if not prod
            else "no maintenance notification",
        ),
        "monitoring": (
            monitoring,
            "alert rules and dashboard generated" if monitoring else "no monitoring artifacts",
        ),
    }
    checks = []
    for item in items:
        key = next((k for k in evidence if k in item.lower()), None)
        ok, why = evidence[key] if key else (False, "no automatic evidence for this item")
        checks.append(GateCheck(item=item, passed=ok, evidence=why))
    return checks


def needs_production_approval(state: RequestState) -> bool:
    return state.design is not None and any(
        c.kind == "production-change" for c in state.design.checkpoints
    )
