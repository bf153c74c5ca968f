"""Plain words read by the model, cross-checked by the rules.

The rule-based parser reads the words first (the offline path); the model fills what the
rules missed, through structured output. Every field the model adds must quote the words
that say it: a field whose quote is not in the text is invented and dropped (and reported).
Where both read a field, the rules' reading stands. Checkpoints are never the model's: when
the merged request would skip a checkpoint the rules' request needs, the rules' request is
used, so a checkpoint found by either side is asked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from opsteam.domain.decisions import DesignDelta
from opsteam.domain.model_use import ModelUse
from opsteam.domain.models import ChangeType, Component, Engine, Environment, Size
from opsteam.domain.registry import Registry
from opsteam.intake.words import REQUIRED, Parsed, to_request
from opsteam.prompts import render as render_template

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


class WordsReading(BaseModel):
    """What a plain-words request says; ``evidence`` quotes the words for every field."""

    model_config = ConfigDict(extra="forbid")

    environment: Environment | None = None
    type: ChangeType | None = None
    component: Component | None = None
    engine: Engine | None = None
    size: Size | None = None
    rpo_minutes: int | None = Field(default=None, ge=0, le=10080)
    read_replicas: int | None = Field(default=None, ge=0, le=5)
    multi_az: bool | None = None
    evidence: dict[str, str] = Field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"evidence"}, exclude_none=True)


def _supported(words: str | None, text: str) -> bool:
    return bool(words and words.strip() and words.strip().lower() in text.lower())


def merge(parsed: Parsed, reading: WordsReading, text: str) -> tuple[Parsed, list[str]]:
    """The rules' reading plus what the model read with words to show for it."""
    form, evidence, notes = dict(parsed.form), dict(parsed.evidence), []
    for name, value in reading.fields().items():
        quote = reading.evidence.get(name)
        if not _supported(quote, text):
            notes.append(f"{name}: dropped, the request's words do not say it")
        elif name in parsed.evidence:
            if str(parsed.form.get(name)) != str(value):
                notes.append(f"{name}: the rules' reading kept ({parsed.evidence[name]!r})")
        else:
            form[name], evidence[name] = value, str(quote)
    missing = [m for m in REQUIRED if m not in evidence]
    merged = parsed.model_copy(update={"form": form, "evidence": evidence, "missing": missing})
    return merged, notes


def _checkpoints(parsed: Parsed, registry: Registry) -> set[str] | None:
    from opsteam.agents.architect import role as architect

    request, _ = to_request(parsed)
    if request is None:
        return None
    return {c.kind for c in architect.decide(request, registry).checkpoints}


class WordsReader:
    """Reads plain words with the model; the rules cross-check (see the module docstring)."""

    def __init__(self, model: BaseChatModel, registry: Registry) -> None:
        self.model = model
        self.registry = registry
        self.notes: list[str] = []
        self.use = ModelUse()

    def __call__(self, text: str, parsed: Parsed) -> Parsed:
        reading = self._ask(text)
        if reading is None:
            return parsed
        merged, notes = merge(parsed, reading, text)
        rules_asks, merged_asks = _checkpoints(parsed, self.registry), None
        if rules_asks is not None:
            merged_asks = _checkpoints(merged, self.registry) or set()
            if not rules_asks <= merged_asks:
                notes.append("the model's reading would skip a checkpoint; the rules' reading used")
                merged = parsed
        self.notes = notes
        return merged

    def _ask(self, text: str) -> WordsReading | None:
        from langchain_core.messages import HumanMessage, SystemMessage

        prompt = render_template("llm/understand.md.j2", text=text)
        system = render_template("llm/understand-system.md.j2", team=self.registry.team.name)
        structured = self.model.with_structured_output(WordsReading, include_raw=True)
        try:
            reply: Any = structured.invoke([SystemMessage(system), HumanMessage(prompt)])
        except Exception as exc:  # the rules' reading stands
            self.notes = [f"the model could not be asked ({type(exc).__name__})"]
            return None
        meta = getattr(reply.get("raw"), "usage_metadata", None) or {}
        self.use = self.use.plus(
            ModelUse(
                calls=1,
                input_tokens=int(meta.get("input_tokens", 0)),
                output_tokens=int(meta.get("output_tokens", 0)),
            )
        )
        parsed = reply.get("parsed")
        return parsed if isinstance(parsed, WordsReading) else None


_DELTA_META = frozenset({"evidence", "not_understood"})
# Free-text values (not choices): the value itself must be in the words, not only a quote.
_VERBATIM = frozenset(
    {"region", "replica_regions", "backup_copy_regions", "existing_cidrs", "engine_version"}
)


def _verbatim(name: str, value: Any, text: str) -> bool:
    if name not in _VERBATIM:
        return True
    values = value if isinstance(value, list) else [value]
    return all(str(v).lower() in text.lower() for v in values)


def _set_fields(delta: DesignDelta) -> dict[str, Any]:
    values: dict[str, Any] = delta.model_dump(exclude_defaults=True, exclude=set(_DELTA_META))
    return values


def merge_delta(
    rules: DesignDelta, proposal: DesignDelta, text: str
) -> tuple[DesignDelta, list[str]]:
    """The rules' reading of requested changes plus what the model read with words for it."""
    ours, notes = _set_fields(rules), []
    fields, evidence = dict(ours), dict(rules.evidence)
    for name, value in _set_fields(proposal).items():
        quote = proposal.evidence.get(name)
        if not _supported(quote, text) or not _verbatim(name, value, text):
            notes.append(f"{name}: dropped, the request's words do not say it")
        elif name in ours:
            if ours[name] != value:
                notes.append(f"{name}: the rules' reading kept")
        else:
            fields[name], evidence[name] = value, str(quote)
    quotes = [q.lower() for n, q in evidence.items() if n not in rules.evidence]
    unread = [c for c in rules.not_understood if not any(q in c.lower() for q in quotes)]
    merged = DesignDelta.model_validate({**fields, "evidence": evidence, "not_understood": unread})
    return merged, notes


def read_change(
    model: BaseChatModel, text: str, rules: DesignDelta, team: str
) -> tuple[DesignDelta, ModelUse, list[str]]:
    """Requested changes read by the model, cross-checked against the rules' reading."""
    from langchain_core.messages import HumanMessage, SystemMessage

    system = render_template("llm/changes-system.md.j2", team=team)
    prompt = render_template("llm/changes.md.j2", text=text)
    structured = model.with_structured_output(DesignDelta, include_raw=True)
    try:
        reply: Any = structured.invoke([SystemMessage(system), HumanMessage(prompt)])
    except Exception as exc:  # the rules' reading stands
        return rules, ModelUse(), [f"the model could not be asked ({type(exc).__name__})"]
    meta = getattr(reply.get("raw"), "usage_metadata", None) or {}
    use = ModelUse(
        calls=1,
        input_tokens=int(meta.get("input_tokens", 0)),
        output_tokens=int(meta.get("output_tokens", 0)),
    )
    parsed = reply.get("parsed")
    if not isinstance(parsed, DesignDelta):
        return rules, use, ["the model's reading was not a design delta"]
    merged, notes = merge_delta(rules, parsed, text)
    return merged, use, notes
