"""Decisions of roles added to the roster as data (no playbook in opsteam.agents).

The architect engages such a role when its registry triggers match the request
(:class:`RoleEngagement`, in the design); a generic role with a chat model answers with a
:class:`GenericRoleDecision`, bounded so a model cannot flood the bundle.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from opsteam.domain.registry import EXTRA_SLUG

MAX_ITEMS = 8
MAX_ITEM_CHARS = 400
MAX_SUMMARY_CHARS = 300
Item = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400)]


class RoleEngagement(BaseModel):
    """A role added as data that works on this request, and the words that engaged it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    role: str = Field(pattern=EXTRA_SLUG)  # public slug: state carries no internal ID
    reason: str
    facts: list[str] = Field(default_factory=list)


class GenericRoleDecision(BaseModel):
    """What a generic role says about the change: rendered as its document in the bundle."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    summary: str = Field(default="", max_length=MAX_SUMMARY_CHARS)
    notes: list[Item] = Field(default_factory=list, max_length=MAX_ITEMS)
    recommendations: list[Item] = Field(default_factory=list, max_length=MAX_ITEMS)
    risks: list[Item] = Field(default_factory=list, max_length=MAX_ITEMS)
