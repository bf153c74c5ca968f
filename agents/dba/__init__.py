"""The dba role: ``decide`` (pure, typed) and ``render`` (templates only)."""

from opsteam.agents.dba.role import ROLE, decide, render

__all__ = ["ROLE", "decide", "render"]
