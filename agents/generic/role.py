"""A role added to the roster with no Python module: the generic role.

With a chat model it speaks from its registry entry (persona, responsibilities, hand-offs):
the model proposes a :class:`GenericRoleDecision` (summary, notes, recommendations, risks),
the playbook checks it like any role's proposal (no internal IDs, secrets, template syntax
or approval instructions), and a template renders it as ``docs/<slug>.md``. Its own draft
says nothing: without a model there is nothing to say, so the team refuses such a role
before it starts (see :mod:`opsteam.agents.generic.playbooks`).
"""

from __future__ import annotations

from opsteam.agents.base import RoleContext
from opsteam.domain.decisions import GenericRoleDecision, RoleEngagement
from opsteam.domain.models import Artifact, ChangeRequest
from opsteam.prompts import render as render_template

# The prompt folder its system and task prompts come from (prompts/generic/).
PROMPTS = "generic"
REFUSED = "the model's answers were refused; nothing to add"


class GenericRole:
    """The decide/render contract of a role module, for one slug of the roster."""

    PROMPTS = PROMPTS

    def __init__(self, slug: str) -> None:
        self.ROLE = slug

    def decide(self, request: ChangeRequest, ctx: RoleContext) -> GenericRoleDecision:
        """The draft the model answers over, and the fallback: nothing said."""
        return GenericRoleDecision()

    def render(
        self, decision: GenericRoleDecision, request: ChangeRequest, ctx: RoleContext
    ) -> list[Artifact]:
        registry = ctx.registry
        role = registry.role(self.ROLE)
        engagement = next(
            (e for e in ctx.design.engaged if e.role == self.ROLE),
            RoleEngagement(role=self.ROLE, reason="the architect engaged it"),
        )
        content = render_template(
            "generic/role-notes.md.j2",
            role=role.model_dump(exclude={"id", "triggers"}),
            request=request,
            engagement=engagement,
            decision=decision if decision != GenericRoleDecision() else _refused(),
            checkpoints=[registry.checkpoint(k).name for k in role.checkpoints],
        )
        return [
            Artifact(path=f"docs/{self.ROLE}.md", role=self.ROLE, kind="markdown", content=content)
        ]


def _refused() -> GenericRoleDecision:
    return GenericRoleDecision(summary=REFUSED)
