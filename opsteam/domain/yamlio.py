"""Reading YAML data files into validated models, with one-line errors naming file and field."""

from __future__ import annotations

from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from opsteam.domain.errors import InputError, OpsteamError, describe_validation_error

ModelT = TypeVar("ModelT", bound=BaseModel)


def yaml_location(exc: yaml.YAMLError) -> str:
    """`` at line N`` for errors that know where they happened, else an empty string."""
    mark = getattr(exc, "problem_mark", None)
    return f" at line {mark.line + 1}" if mark is not None else ""


def parse_model(
    text: str,
    model: type[ModelT],
    source: str,
    error: type[OpsteamError] = InputError,
    what: str = "",
) -> ModelT:
    """Parse a YAML mapping into ``model``; every problem becomes one ``source: field: why``."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise error(f"{source}: malformed YAML{yaml_location(exc)}") from None
    if not isinstance(data, dict):
        raise error(f"{source}: expected a mapping at the top level")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [f"{source}: {line}" for line in describe_validation_error(exc)]
        headline = f"{what}{problems[0]}" if what else problems[0]
        raise error(headline, problems) from None
