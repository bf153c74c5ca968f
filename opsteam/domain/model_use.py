"""What the optional chat model cost and decided, per role: in graph state and in results."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Source = Literal["model", "playbook"]


class ModelUse(BaseModel):
    """One role's model calls and tokens; ``fallback`` says why the playbook decided instead."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    calls: int = Field(default=0, ge=0)
    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)
    source: Source = "model"
    fallback: str = ""

    def plus(self, other: ModelUse) -> ModelUse:
        """Totals of both; the later outcome (source, fallback) wins."""
        return ModelUse(
            calls=self.calls + other.calls,
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            source=other.source,
            fallback=other.fallback,
        )


# The key under which reading a plain-words request is counted (it is no role's decision).
READING = "request-reading"
READING_NAME = "Reading the request"
