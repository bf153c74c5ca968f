"""Roles added to the roster as data, in the team's flow: one node each, in the parallel
specialists' stage, engaged by the architect's design (its triggers matched the request).

Each runs its playbook (an entry point's, or the generic role with a chat model) through the
same decide/render contract as the core seats; its checkpoints are already in the design, so
the flow pauses for them like for any other. A role with no way to work is refused at submit
(:func:`refuse_unplayable`); the node refuses again, should a revised design engage it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from opsteam.agents.generic import playbooks as found
from opsteam.domain.errors import InputError
from opsteam.domain.model_use import ModelUse
from opsteam.domain.models import ChangeRequest
from opsteam.domain.registry import Registry
from opsteam.graphs.state import RequestState

if TYPE_CHECKING:
    from opsteam.graphs.request import Node, Nodes, Update


def engaged(state: RequestState, graph_roles: Sequence[str]) -> list[str]:
    """Node names of the roles added as data that the design engaged (and the graph has)."""
    design = state.design
    chosen = {e.role for e in design.engaged} if design else set()
    return [slug for slug in graph_roles if slug in chosen]


def node(nodes: Nodes, slug: str, playbook: Any | None) -> Node:
    """Decide (the playbook, or the model checked by it) and render, like a core seat."""

    def run(state: RequestState) -> Update:
        if playbook is None:
            role = nodes.registry.role(slug)
            raise InputError(found.unavailable(role, "the run stopped before it (resume it then)"))
        from opsteam.graphs.request import role_context

        ctx = role_context(state, nodes.registry)
        request = state.current_request
        decision, use = nodes.decide_with(slug, playbook, request, ctx)
        made = [
            a.model_copy(update={"role": slug}) for a in playbook.render(decision, request, ctx)
        ]
        update: Update = {
            "added_roles": {slug: decision.model_dump(mode="json")},
            "artifacts": {slug: nodes.published(made)},
            "worked": [slug],
        }
        if use is not None:
            update["model_use"] = {slug: state.model_use.get(slug, ModelUse()).plus(use)}
        return update

    run.__name__ = slug.replace("-", "_")
    return run


def refuse_unplayable(
    requests: Sequence[ChangeRequest], registry: Registry, with_model: bool
) -> None:
    """Before anything runs: every role added as data that a request engages can work here
    (an entry point's playbook, or a chat model); else one line naming it (exit 2)."""
    if not registry.extra_roles:
        return
    from opsteam.agents.architect.assign import engaged_roles  # reads the request's words

    playable = found.playbooks(registry, with_model)
    for request in requests:
        slugs = [e.role for e in engaged_roles(request.text.lower(), registry)]
        found.refuse_missing(slugs, registry, playable)
