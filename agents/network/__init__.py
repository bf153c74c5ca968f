"""The network role: ``decide`` (pure, typed) and ``render`` (templates only)."""

from opsteam.agents.network.role import ROLE, decide, render

__all__ = ["ROLE", "decide", "render"]
