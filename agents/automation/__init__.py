"""The automation role: ``decide`` (pure, typed) and ``render`` (templates only)."""

from opsteam.agents.automation.role import ROLE, decide, render

__all__ = ["ROLE", "decide", "render"]
