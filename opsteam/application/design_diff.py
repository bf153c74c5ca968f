"""What changed between a request's design revisions (``opsteam diff THREAD``).

A person's requested changes make the architect revise the design; every revision stays in
the request's checkpoint history. This reads that history (no graph is built or run), keeps
the last state of each revision, and compares consecutive ones field by field, with the
decision that asked for the change and the monthly cost where the revision was priced.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from opsteam.domain.decisions import ArchitectDesign
from opsteam.domain.decisions.plan import InfrastructurePlan
from opsteam.domain.errors import NotFoundError
from opsteam.domain.models import DecisionRecord
from opsteam.domain.registry import Registry


class Revision(BaseModel):
    revision: int
    summary: str
    risk: str
    monthly_cost: str


class FieldChange(BaseModel):
    field: str
    before: str
    after: str


class RevisionChange(BaseModel):
    before: int
    after: int
    requested_by: str = ""
    requested: str = ""
    applied: list[str] = Field(default_factory=list)
    not_applied: list[str] = Field(default_factory=list)
    fields: list[FieldChange] = Field(default_factory=list)


class DesignDiff(BaseModel):
    thread_id: str
    request: str
    revisions: list[Revision]
    changes: list[RevisionChange]


def _cost(plan: InfrastructurePlan | None) -> str:
    if plan is None:
        return "not estimated"
    return f"${plan.monthly_low:,} to ${plan.monthly_high:,} per month"


def _history(home: Path, thread_id: str) -> tuple[str, list[dict[str, Any]]]:
    """The request's title and the last saved values of each design revision, oldest first."""
    from opsteam.application.checkpoints import open_checkpointer

    by_revision: dict[int, dict[str, Any]] = {}
    title = ""
    with open_checkpointer(home) as saver:
        for saved in saver.list({"configurable": {"thread_id": thread_id}}):  # newest first
            if saved.config["configurable"].get("checkpoint_ns"):
                continue
            values = saved.checkpoint["channel_values"]
            request = values.get("request")
            title = title or str(getattr(request, "request", "") or "")
            design = values.get("design")
            if isinstance(design, ArchitectDesign):
                by_revision.setdefault(design.revision, values)
    if not title:
        raise NotFoundError(f"no request with thread id {thread_id!r}")
    return title, [by_revision[r] for r in sorted(by_revision)]


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    return "none" if value in (None, "") else str(value)


def _fields(old: ArchitectDesign, new: ArchitectDesign, registry: Registry) -> list[FieldChange]:
    def specialists(d: ArchitectDesign) -> list[str]:
        return [registry.role(a.role).name for a in d.assignments]

    pairs = {
        "summary": (old.summary, new.summary),
        "components": (list(old.components), list(new.components)),
        "specialists": (specialists(old), specialists(new)),
        "region": (old.region, new.region),
        "zones": (list(old.zones), list(new.zones)),
        "engine": (old.engine, new.engine),
        "public endpoint": (old.public_endpoint, new.public_endpoint),
        "risk": (
            f"{old.risk.level} ({old.risk.score}/100)",
            f"{new.risk.level} ({new.risk.score}/100)",
        ),
        "rollback": (list(old.rollback_plan), list(new.rollback_plan)),
        "maintenance window": (old.maintenance_window, new.maintenance_window),
        "checkpoints": ([c.kind for c in old.checkpoints], [c.kind for c in new.checkpoints]),
    }
    return [
        FieldChange(field=name, before=_text(before), after=_text(after))
        for name, (before, after) in pairs.items()
        if _text(before) != _text(after)
    ]


def _requests(values: dict[str, Any]) -> list[DecisionRecord]:
    """The requested-changes decisions, in the order they were made."""
    found = values.get("decisions") or []
    return [d for d in found if isinstance(d, DecisionRecord) and d.verdict == "changes"]


def design_diff(home: Path, thread_id: str, registry: Registry) -> DesignDiff:
    """Every design revision of a request and what changed from one to the next."""
    title, history = _history(home, thread_id)
    designs: list[ArchitectDesign] = [v["design"] for v in history]
    asked = _requests(history[-1]) if history else []
    changes = []
    for index, (old, new) in enumerate(pairwise(designs)):
        decision = asked[index] if index < len(asked) else None
        changes.append(
            RevisionChange(
                before=old.revision,
                after=new.revision,
                requested_by=decision.by if decision else "",
                requested=decision.reason if decision else "",
                applied=[f"{c.field}: {c.value}" for c in new.changes],
                not_applied=list(new.not_applied),
                fields=_fields(old, new, registry),
            )
        )
    revisions = [
        Revision(
            revision=d.revision,
            summary=d.summary,
            risk=f"{d.risk.level} ({d.risk.score}/100)",
            monthly_cost=_cost(v.get("plan")),
        )
        for d, v in zip(designs, history, strict=True)
    ]
    return DesignDiff(thread_id=thread_id, request=title, revisions=revisions, changes=changes)
