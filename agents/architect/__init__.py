"""The Infrastructure Architect: designs (``decide``/``revise``), then assembles the plan.

The role module loads on first use (PEP 562), so a caller that needs only a sibling module
does not pay for the role's templates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opsteam.agents.architect.role import ROLE, decide, plan_for, render, revise

__all__ = ["ROLE", "decide", "plan_for", "render", "revise"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from opsteam.agents.architect import role

        return getattr(role, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
