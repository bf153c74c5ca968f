"""The sysadmin role: ``decide`` (pure, typed) and ``render`` (templates only)."""

from opsteam.agents.sysadmin.role import ROLE, decide, render

__all__ = ["ROLE", "decide", "render"]
