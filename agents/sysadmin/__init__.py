"""The sysadmin role: ``decide`` (pure, typed) and ``render`` (templates only).

The role module loads on first use (PEP 562), so a caller that needs only a sibling module
(the CLI's escalation view, say) does not pay for the role's templates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opsteam.agents.sysadmin.role import ROLE, decide, render

__all__ = ["ROLE", "decide", "render"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from opsteam.agents.sysadmin import role

        return getattr(role, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
