"""The optional chat model, wired in: resolved lazily from settings, reported per request.

Unset, nothing here imports LangChain's model packages and the playbooks decide. Set, the
provider is checked when the team is created (one line naming what to install or set) and
opened when the first graph is built.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from opsteam.domain.model_use import READING, READING_NAME, ModelUse, Source
from opsteam.domain.registry import Registry
from opsteam.domain.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from opsteam.agents.llm.advisor import ModelAdvisor
    from opsteam.agents.llm.understand import WordsReader


@lru_cache(maxsize=4)
def shared_model(spec: str) -> BaseChatModel:
    """One client per model for the process (chat messages and graphs reuse it)."""
    from opsteam.tools.model import open_model

    return open_model(spec)


def check_configured(settings: Settings) -> None:
    """Fail early when the configured model cannot work here (no import of providers)."""
    if settings.model:
        from opsteam.tools.model import check_model

        check_model(settings.model)


def open_advisor(
    settings: Settings,
    registry: Registry,
    model: BaseChatModel | None = None,
    today: date | None = None,
) -> ModelAdvisor | None:
    """The advisor for the configured (or given) model; None: the offline playbooks."""
    chosen = _chosen(settings, model)
    if chosen is None:
        return None
    from opsteam.agents.llm.advisor import ModelAdvisor

    return ModelAdvisor(chosen, registry, settings.model_retries, today)


def words_reader(
    settings: Settings, registry: Registry, model: BaseChatModel | None = None
) -> WordsReader | None:
    """The model's reading of plain words, cross-checked by the rules; None: the rules."""
    chosen = _chosen(settings, model)
    if chosen is None:
        return None
    from opsteam.agents.llm.understand import WordsReader

    return WordsReader(chosen, registry)


def _chosen(settings: Settings, model: BaseChatModel | None) -> BaseChatModel | None:
    """The given model, else the configured one (shared by the process), else none."""
    if model is not None:
        return model
    return shared_model(settings.model) if settings.model else None


class RoleModelUse(BaseModel):
    """One role's model use, by public name."""

    role: str
    calls: int
    input_tokens: int
    output_tokens: int
    decided_by: Source
    fallback: str = ""


class ModelReport(BaseModel):
    """A request's model calls and tokens, and which roles fell back to their playbook."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    roles: list[RoleModelUse] = Field(default_factory=list)


def model_report(use: dict[str, ModelUse], registry: Registry) -> ModelReport | None:
    """None when no model was asked (offline runs show nothing)."""
    if not use:
        return None
    roles = [
        RoleModelUse(
            role=READING_NAME if slug == READING else registry.role(slug).name,
            calls=u.calls,
            input_tokens=u.input_tokens,
            output_tokens=u.output_tokens,
            decided_by=u.source,
            fallback=u.fallback,
        )
        for slug, u in sorted(use.items())
    ]
    return ModelReport(
        calls=sum(r.calls for r in roles),
        input_tokens=sum(r.input_tokens for r in roles),
        output_tokens=sum(r.output_tokens for r in roles),
        roles=roles,
    )
