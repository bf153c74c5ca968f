"""The prompts a role sends: its system prompt from the registry, its task with only its slice.

Both come from packaged templates (``prompts/<role>/system.md.j2`` and ``decide.md.j2``)
through the one cached loader; request text and decisions enter as JSON *data*, never as
template source. The date is passed in, so a rendered prompt is reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel

from opsteam.agents.base import RoleContext
from opsteam.domain.models import ChangeRequest
from opsteam.domain.registry import Registry
from opsteam.prompts import environment
from opsteam.prompts import render as render_template

# Template folder per role; a role with none (a role added as data) uses the generic ones.
FOLDERS: dict[str, str] = {
    "infrastructure-architect": "architect",
    "systems-administrator": "sysadmin",
    "network-engineer": "network",
    "database-administrator": "dba",
    "automation-engineer": "automation",
    "site-reliability-engineer": "sre",
}
SPECIALIST_SLICES = ("servers", "network", "database", "storage")
# Whose decisions each role reads besides the design (never the whole conversation).
DEPENDS_ON: dict[str, tuple[str, ...]] = {
    "automation-engineer": SPECIALIST_SLICES,
    "site-reliability-engineer": SPECIALIST_SLICES,
}
# What a specialist needs of the design (risk, rollback and window are the architect's).
DESIGN_FIELDS = frozenset(
    {"summary", "components", "assignments", "cloud", "region", "zones", "engine",
     "hosts_needed", "public_endpoint", "existing_network"}
)  # fmt: skip


def _template(slug: str, name: str, folder: str | None = None) -> str:
    """A core role's own template, the folder a playbook names (``prompts/generic``), else
    the shared ``llm/`` one."""
    from jinja2 import TemplateNotFound

    folder = FOLDERS.get(slug, folder)
    if folder is None:
        return f"llm/{name}"
    try:
        environment().get_template(f"{folder}/{name}")
    except TemplateNotFound:
        return f"llm/{name}"
    return f"{folder}/{name}"


def system_prompt(slug: str, registry: Registry, today: date, folder: str | None = None) -> str:
    """The role's persona, responsibilities, hand-offs and tools, from its registry entry."""
    role = registry.role(slug)
    handoffs = [registry.role(h).name for h in role.handoffs]
    return render_template(
        _template(slug, "system.md.j2", folder),
        role=role.model_dump(exclude={"id", "triggers", "checkpoints"}),
        team=registry.team.model_dump(exclude={"lead"}),
        handoffs=handoffs,
        today=today.isoformat(),
    )


def _dump(value: BaseModel, include: frozenset[str] | None = None) -> dict[str, Any]:
    dumped: dict[str, Any] = value.model_dump(
        mode="json", by_alias=True, exclude_defaults=True, include=set(include) if include else None
    )
    return dumped


def design_slice(slug: str, ctx: RoleContext) -> dict[str, Any]:
    """The design as far as the role needs it: its own assignment, no checkpoints or risk."""
    design = _dump(ctx.design, DESIGN_FIELDS)
    design["assignments"] = [
        a for a in design.get("assignments", []) if isinstance(a, dict) and a.get("role") == slug
    ]
    return design


def depends_slice(slug: str, ctx: RoleContext) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name in DEPENDS_ON.get(slug, ()):
        value = getattr(ctx, name, None)
        if isinstance(value, BaseModel):
            found[name] = _dump(value)
    return found


def task_prompt(
    slug: str,
    request: ChangeRequest,
    ctx: RoleContext,
    draft: BaseModel,
    errors: Sequence[str] = (),
    editable: frozenset[str] | None = None,
    folder: str | None = None,
) -> str:
    """What this role is asked: its slice of context, the playbook draft (the part the role
    may change), earlier refusals."""
    return render_template(
        _template(slug, "decide.md.j2", folder),
        schema=type(draft).__name__,
        request=request.model_dump(mode="json", exclude_defaults=True),
        design=design_slice(slug, ctx),
        depends=depends_slice(slug, ctx),
        errors=list(errors),
        draft=_dump(draft, editable),
    )
