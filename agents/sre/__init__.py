"""The sre role: ``decide`` (pure, typed) and ``render`` (templates only)."""

from opsteam.agents.sre.role import ROLE, decide, render

__all__ = ["ROLE", "decide", "render"]
