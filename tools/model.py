"""The chat model boundary: ``provider:model`` resolved with LangChain's ``init_chat_model``.

Nothing here is imported unless a model is configured, so the offline engine never loads a
provider package. What can go wrong before the first call (integration package missing, key
unset) is found here and reported as one line naming what to install or set.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from opsteam.domain.errors import InputError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


@dataclass(frozen=True)
class Provider:
    """What one provider needs: its integration module, the extra to install, its key."""

    module: str
    extra: str
    key: str | None = None


PROVIDERS: dict[str, Provider] = {
    "anthropic": Provider("langchain_anthropic", "anthropic", "ANTHROPIC_API_KEY"),
    "openai": Provider("langchain_openai", "openai", "OPENAI_API_KEY"),
    "azure_openai": Provider("langchain_openai", "openai", "AZURE_OPENAI_API_KEY"),
    "ollama": Provider("langchain_ollama", "ollama"),
    "google_genai": Provider("langchain_google_genai", "google", "GOOGLE_API_KEY"),
    "mistralai": Provider("langchain_mistralai", "mistralai", "MISTRAL_API_KEY"),
    "groq": Provider("langchain_groq", "groq", "GROQ_API_KEY"),
    "bedrock_converse": Provider("langchain_aws", "bedrock"),
}
# A scripted model (replies from a JSON file): tests, demos and the benchmark, no network.
SCRIPTED = "scripted"


def split_spec(spec: str) -> tuple[str, str]:
    """``provider:model`` -> (provider, model); anything else is bad input."""
    provider, sep, name = spec.partition(":")
    if not sep or not provider or not name:
        raise InputError(f"model {spec!r} must be provider:model (e.g. openai:gpt-4.1-mini)")
    return provider, name


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def check_model(spec: str, environ: Mapping[str, str] | None = None) -> None:
    """Fail early, in one line, when the provider cannot work here."""
    provider, _ = split_spec(spec)
    if provider == SCRIPTED:
        return
    if not _installed("langchain"):
        raise InputError("a model needs LangChain: pip install 'opsteam[llm]'")
    known = PROVIDERS.get(provider)
    if known is None:
        return  # init_chat_model knows more providers than this table; it reports the rest
    if not _installed(known.module):
        raise InputError(
            f"model provider {provider!r} is not installed: pip install 'opsteam[{known.extra}]'"
        )
    env = os.environ if environ is None else environ
    if known.key and not env.get(known.key):
        raise InputError(f"model provider {provider!r} needs an API key: set {known.key}")


def open_model(spec: str, environ: Mapping[str, str] | None = None) -> BaseChatModel:
    """The configured chat model (checked first; provider errors become one line)."""
    check_model(spec, environ)
    provider, name = split_spec(spec)
    if provider == SCRIPTED:
        from opsteam.tools.fake_model import ScriptedChatModel

        return ScriptedChatModel.from_file(name)
    from langchain.chat_models import init_chat_model

    try:
        return init_chat_model(name, model_provider=provider, temperature=0)
    except (ImportError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"model {spec!r} cannot be used: {first}") from None
