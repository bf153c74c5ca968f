"""Errors that reach users: each carries one line per problem, never a traceback."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError


class OpsteamError(Exception):
    """Base for errors shown to users; the CLI maps them to exit codes."""

    exit_code = 1

    def __init__(self, message: str, problems: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = list(problems)

    def lines(self) -> list[str]:
        return self.problems or [self.message]


class InputError(OpsteamError):
    """The user's input is malformed; nothing was run or stored."""

    exit_code = 2


class UnsafeInputError(InputError):
    """Input refused for its shape (aliases, complex keys, huge numbers), never read as words."""


class RegistryError(InputError):
    """The roster file is broken."""


class NotFoundError(OpsteamError):
    """A thread, checkpoint or incident the user named does not exist."""

    exit_code = 2


class ConflictError(OpsteamError):
    """The action does not fit the current state (e.g. approving a finished request)."""

    exit_code = 2


def _location(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(f".{item}" if parts else str(item))
    return "".join(parts)


def describe_validation_error(exc: ValidationError, prefix: str = "") -> list[str]:
    """One readable line per pydantic problem, naming the field."""
    lines = []
    for err in exc.errors(include_url=False):
        field = _location(tuple(err["loc"]))
        message = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        elif err["type"] == "missing":
            message = "required field is missing"
        elif err["type"] in _SHOW_INPUT and isinstance(err.get("input"), str | int | float):
            message += f", got {_shown(err['input'])}"
        # Whole-model checks name their fields in the message itself.
        where = f"{prefix}{field}: " if field else prefix
        lines.append(f"{where}{message}")
    return lines


# Problems where echoing what was typed helps (a typo in an enum value, a bad pattern).
_SHOW_INPUT = {"enum", "literal_error", "string_pattern_mismatch"}


def _shown(value: str | int | float) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
