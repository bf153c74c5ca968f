"""A role asks the model for its typed decision; the playbook checks it or decides itself.

The playbook's decision is computed first (pure and cheap): it is the draft the model sees
and the fallback. The model answers through structured output against the role's decision
schema; a proposal that does not parse or fails the checks is asked again with the problems,
a bounded number of times, and then the playbook's decision is used and the fallback is
reported. Routing and checkpoints never come here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from opsteam.agents.base import RoleContext
from opsteam.agents.llm import checks
from opsteam.agents.llm.prompts import system_prompt, task_prompt
from opsteam.domain.decisions import DesignDelta
from opsteam.domain.model_use import ModelUse
from opsteam.domain.models import ChangeRequest
from opsteam.domain.redaction import Redactor
from opsteam.domain.registry import Registry

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger("opsteam.model")
D = TypeVar("D", bound=BaseModel)


class Playbook(Protocol):
    """A role module's decide (see :mod:`opsteam.agents.base`)."""

    def decide(self, request: ChangeRequest, ctx: RoleContext) -> Any: ...


@dataclass(frozen=True)
class Attempt:
    """One model answer: the parsed proposal (if any), the problems, what it cost."""

    proposal: BaseModel | None
    problems: list[str]
    use: ModelUse


def usage_of(message: Any) -> ModelUse:
    """Calls and tokens from a reply's ``usage_metadata`` (zero tokens when not reported)."""
    meta = getattr(message, "usage_metadata", None) or {}
    return ModelUse(
        calls=1,
        input_tokens=int(meta.get("input_tokens", 0)),
        output_tokens=int(meta.get("output_tokens", 0)),
    )


def _parse_problem(error: Any) -> list[str]:
    if isinstance(error, ValidationError):
        return [
            f"{'.'.join(str(p) for p in e['loc']) or 'decision'}: {e['msg']}"
            for e in error.errors()[:5]
        ]
    return ["the reply was not the decision schema (no valid structured output)"]


class ModelAdvisor:
    """Asks the configured chat model for each engaged role's decision."""

    def __init__(
        self, model: BaseChatModel, registry: Registry, retries: int = 2, today: date | None = None
    ) -> None:
        self.model = model
        self.registry = registry
        self.retries = retries
        self.today = today
        self.redactor = Redactor.for_registry(registry)

    def read_change(self, text: str, request: ChangeRequest) -> tuple[DesignDelta, ModelUse]:
        """A reviewer's requested changes, read by the rules and the model (cross-checked)."""
        from opsteam.agents.llm.understand import read_change
        from opsteam.intake.changes import parse_change

        rules = parse_change(text, request.size, self.registry.routing)
        merged, use, notes = read_change(self.model, text, rules, self.registry.team.name)
        if notes:
            told = [*merged.not_understood, *(f"model reading: {n}" for n in notes)]
            merged = merged.model_copy(update={"not_understood": told})
        return merged, use

    def decide(
        self, slug: str, playbook: Playbook, request: ChangeRequest, ctx: RoleContext
    ) -> tuple[BaseModel, ModelUse]:
        """The role's decision and what asking cost; a fix attempt is the playbook's own."""
        draft: BaseModel = playbook.decide(request, ctx)
        if ctx.findings:  # the validators refused the files: the playbook fixes them
            return draft, ModelUse(source="playbook", fallback="fix attempt after validation")
        total = ModelUse()
        errors: list[str] = []
        for _ in range(1 + self.retries):
            attempt = self._ask(slug, playbook, request, ctx, draft, errors)
            total = total.plus(attempt.use)
            if attempt.proposal is not None and not attempt.problems:
                return attempt.proposal, total
            errors = attempt.problems
        reason = f"model proposal refused ({'; '.join(errors[:3])}); the playbook decided"
        log.info("%s: %s", slug, reason)
        return draft, total.plus(ModelUse(calls=0, source="playbook", fallback=reason))

    def _ask(
        self,
        slug: str,
        playbook: Playbook,
        request: ChangeRequest,
        ctx: RoleContext,
        draft: BaseModel,
        errors: list[str],
    ) -> Attempt:
        from langchain_core.messages import HumanMessage, SystemMessage

        schema = checks.editable(type(draft))
        shown = frozenset(schema.model_fields) if schema is not type(draft) else None
        folder = getattr(playbook, "PROMPTS", None)  # a role added as data: its own prompts
        today = self.today or date.today()
        messages = [
            SystemMessage(system_prompt(slug, self.registry, today, folder)),
            HumanMessage(task_prompt(slug, request, ctx, draft, errors, shown, folder)),
        ]
        structured = self.model.with_structured_output(schema, include_raw=True)
        try:
            reply: Any = structured.invoke(messages)
        except Exception as exc:  # a provider error: the playbook decides, the run goes on
            log.warning("%s: the model call failed: %s", slug, type(exc).__name__)
            return Attempt(None, [f"the model call failed ({type(exc).__name__})"], ModelUse())
        use = usage_of(reply.get("raw"))
        parsed = reply.get("parsed")
        if reply.get("parsing_error") is not None or not isinstance(parsed, BaseModel):
            return Attempt(None, _parse_problem(reply.get("parsing_error")), use)
        try:
            whole = checks.complete(parsed, draft)
        except ValidationError as exc:
            return Attempt(None, _parse_problem(exc), use)
        return Attempt(whole, checks.problems(whole, draft, self.redactor), use)
