"""What a person approves: the review every checkpoint shows, built once for every interface.

Resources created, changed and removed (read from the Terraform the bundle holds, or, before
the specialists have written any, the design's planned components), the monthly cost delta
of the plan's estimate, the risk and rollback summary, and where to read the files. The
checkpoint's interrupt payload (Agent Server, Studio), the CLI, the chat, the HTTP API, MCP
and Task results all carry this same review; :func:`review_lines` is its plain-text form.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Literal

from pydantic import BaseModel, Field

from opsteam.domain.models import Artifact, ChangeType
from opsteam.graphs.state import RequestState

_RESOURCE = re.compile(r'^resource\s+"([^"]+)"\s+"([^"]+)"', re.MULTILINE)
_DATA = re.compile(r'^data\s+"([^"]+)"\s+"([^"]+)"', re.MULTILINE)
# An import block's target: an existing object the resource takes over (imported, updated).
_IMPORT = re.compile(r"^import\s*\{[^}]*?^\s*to\s*=\s*([\w-]+)\.([\w-]+)\s*$", re.MULTILINE)

Basis = Literal["terraform", "design"]
_ACTIONS: dict[ChangeType, Literal["create", "change", "remove"]] = {
    ChangeType.NEW: "create",
    ChangeType.MODIFY: "change",
    ChangeType.REMOVE: "remove",
}


class ResourceChanges(BaseModel):
    """Terraform addresses by what applying does to them (``type.name``)."""

    basis: Basis
    created: list[str] = Field(default_factory=list)
    changed: list[str] = Field(default_factory=list)
    # Existing objects a resource of the bundle takes over (Terraform import blocks).
    imported: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    # Before any Terraform exists: the design's components, and what the request does to them.
    planned: list[str] = Field(default_factory=list)
    planned_action: Literal["create", "change", "remove"] = "create"


class CostDelta(BaseModel):
    """The monthly cost this change adds (USD, list prices), or why it is not known yet."""

    low: int | None = None
    high: int | None = None
    text: str


class ChangeReview(BaseModel):
    resources: ResourceChanges
    monthly_cost: CostDelta
    risk: str
    risk_factors: list[str] = Field(default_factory=list)
    rollback: list[str] = Field(default_factory=list)
    maintenance_window: str = ""
    files: list[str] = Field(default_factory=list)
    read_files: str
    # The same review as plain lines (what every interface prints): see review_lines.
    lines: list[str] = Field(default_factory=list)


def _addresses(pattern: re.Pattern[str], artifacts: list[Artifact]) -> list[str]:
    found = (
        f"{m.group(1)}.{m.group(2)}"
        for a in artifacts
        if a.path.endswith(".tf")
        for m in pattern.finditer(a.content)
    )
    return sorted(set(found))


def resource_changes(state: RequestState) -> ResourceChanges:
    """What applying the bundle does; the planned components when no Terraform exists yet."""
    artifacts = state.all_artifacts()
    plan = state.automation
    if plan is None or not any(a.path.endswith(".tf") for a in artifacts):
        design = state.design
        return ResourceChanges(
            basis="design",
            planned=list(design.components) if design is not None else [],
            planned_action=_ACTIONS[state.current_request.type],
        )
    # A Modify attaches to existing infrastructure: the data sources it looks up change.
    changed = _addresses(_DATA, artifacts) if plan.mode == "modify" else []
    imported = _addresses(_IMPORT, artifacts)
    return ResourceChanges(
        basis="terraform",
        created=[a for a in _addresses(_RESOURCE, artifacts) if a not in imported],
        changed=changed,
        imported=imported,
        removed=sorted(f"{r.address} ({r.what})" for r in plan.removals),
    )


def _dollars(value: int) -> str:
    return f"${value:,}"


def cost_delta(state: RequestState) -> CostDelta:
    """The plan's monthly estimate of what this change adds (a removal adds nothing)."""
    plan = state.plan
    if plan is None:
        return CostDelta(
            text="not estimated yet: the specialists size the design after this approval, "
            "and the production-change review shows the estimate"
        )
    low, high = plan.monthly_low, plan.monthly_high
    mode = state.automation.mode if state.automation is not None else "create"
    if mode == "remove" and high == 0:
        text = "no new cost; the removed resources' own cost stops (not estimated)"
        return CostDelta(low=low, high=high, text=text)
    span = _dollars(low) if low == high else f"{_dollars(low)} to +{_dollars(high)}"
    text = f"+{span} per month (list prices as of {plan.price_as_of})"
    return CostDelta(low=low, high=high, text=text)


def change_review(state: RequestState, thread_id: str) -> ChangeReview | None:
    """The review of a request waiting at a checkpoint (None before the design exists)."""
    design = state.design
    if design is None:
        return None
    files = [a.path for a in state.all_artifacts()]
    if files:
        where = f"opsteam show {thread_id or 'THREAD'} [FILE] (or --out DIR to write them all)"
    else:
        where = "no files yet: the specialists write them after this approval"
    review = ChangeReview(
        resources=resource_changes(state),
        monthly_cost=cost_delta(state),
        risk=f"{design.risk.level} ({design.risk.score}/100)",
        risk_factors=list(design.risk.factors),
        rollback=list(design.rollback_plan),
        maintenance_window=design.maintenance_window,
        files=files,
        read_files=where,
    )
    return review.model_copy(update={"lines": review_lines(review)})


def _grouped(addresses: list[str]) -> str:
    """``aws_db_instance x4, aws_s3_bucket x2``: one entry per resource type."""
    kinds = Counter(a.split(".", 1)[0] for a in addresses)
    return ", ".join(f"{k} x{n}" if n > 1 else k for k, n in sorted(kinds.items()))


def review_lines(review: ChangeReview) -> list[str]:
    """The review in plain lines, the same in every interface."""
    res = review.resources
    lines = ["What will change:"]
    if res.basis == "design":
        planned = ", ".join(res.planned) or "none"
        verb = {"create": "creates", "change": "changes", "remove": "removes"}
        lines.append(
            f"  resources: no Terraform yet; the design {verb[res.planned_action]}: {planned}"
        )
    else:
        for label, items in (
            ("create", res.created),
            # Read, not rewritten: the new resources attach to them (listeners to a load
            # balancer, a snapshot of a database), which is how a Modify changes them.
            ("attach to existing", res.changed),
            ("import and update (or create if absent)", res.imported),
            ("remove", res.removed),
        ):
            if items:
                lines.append(f"  {label} {len(items)}: {_grouped(items)}")
        if not (res.created or res.changed or res.imported or res.removed):
            lines.append("  resources: no Terraform resource is created, changed or removed")
    lines.append(f"  monthly cost: {review.monthly_cost.text}")
    factors = f" ({', '.join(review.risk_factors)})" if review.risk_factors else ""
    lines.append(f"  risk: {review.risk}{factors}")
    if review.rollback:
        lines.append(f"  rollback: {'; '.join(review.rollback)}")
    if review.maintenance_window:
        lines.append(f"  window: {review.maintenance_window}")
    lines.append(f"  files ({len(review.files)}): {review.read_files}")
    return lines
