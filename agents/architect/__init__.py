"""The Infrastructure Architect: designs (``decide``/``revise``), then assembles the plan."""

from opsteam.agents.architect.role import ROLE, decide, plan_for, render, revise

__all__ = ["ROLE", "decide", "plan_for", "render", "revise"]
