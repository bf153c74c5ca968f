"""Requested changes read with the model (when there is one), once per text, checkpoints kept.

The architect revises the design from every round of feedback on each run; a model's reading
of a text is taken once and kept in the state, so every later revision (in any process) reads
it the same way and pays for it once. If the model's reading would skip a checkpoint the
rules' reading asks for, the rules' reading is kept instead: a checkpoint found by either is
asked.
"""

from __future__ import annotations

from typing import Any, Protocol

from opsteam.domain.decisions import DesignDelta
from opsteam.domain.model_use import ModelUse
from opsteam.domain.models import ChangeRequest
from opsteam.domain.registry import Registry
from opsteam.graphs.state import RequestState

ARCHITECT = "infrastructure-architect"


class ChangeReader(Protocol):
    def read_change(self, text: str, request: ChangeRequest) -> tuple[DesignDelta, ModelUse]: ...


def read_feedback(
    state: RequestState, registry: Registry, reader: Any
) -> tuple[dict[str, DesignDelta] | None, dict[str, Any]]:
    """(readings to revise with, state update) - (None, {}) without a model or feedback."""
    if reader is None or not hasattr(reader, "read_change") or not state.feedback:
        return None, {}
    read = dict(state.feedback_read)
    fresh: dict[str, DesignDelta] = {}
    use = state.model_use.get(ARCHITECT, ModelUse())
    for text in state.feedback:
        if text not in read and text not in fresh:
            fresh[text], spent = reader.read_change(text, state.current_request)
            use = use.plus(spent)
    if not fresh:
        return read, {}
    if _skips_a_checkpoint(state, registry, {**read, **fresh}):
        fresh = {text: _rules_only(text, state, registry) for text in fresh}
    return {**read, **fresh}, {"feedback_read": fresh, "model_use": {ARCHITECT: use}}


def _checkpoints(state: RequestState, registry: Registry, read: Any) -> set[str]:
    from opsteam.agents.architect import role as architect

    _, design = architect.revise(state.request, tuple(state.feedback), registry, read)
    return {c.kind for c in design.checkpoints}


def _skips_a_checkpoint(
    state: RequestState, registry: Registry, read: dict[str, DesignDelta]
) -> bool:
    return not _checkpoints(state, registry, None) <= _checkpoints(state, registry, read)


def _rules_only(text: str, state: RequestState, registry: Registry) -> DesignDelta:
    """The rules' reading alone, saying why the model's is not used."""
    from opsteam.intake.changes import parse_change

    rules = parse_change(text, state.current_request.size, registry.routing)
    note = "model reading: not used, it would skip a checkpoint"
    return rules.model_copy(update={"not_understood": [*rules.not_understood, note]})
