"""The architect role: ``decide`` (pure, typed) and ``render`` (templates only)."""

from opsteam.agents.architect.role import ROLE, decide, render

__all__ = ["ROLE", "decide", "render"]
