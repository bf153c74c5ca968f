"""The single exit: a roster's internal IDs become public names, secrets are masked.

A :class:`Redactor` is built from the loaded registry (no module state changes when a roster
is loaded). It replaces only that roster's real IDs, as whole tokens in any case and with any
dash or space between prefix and number: ``INF-003`` and ``inf 003`` are the Network Engineer,
while ``INF-0003``, ``INF-123`` or ``INF-2024`` are the user's own text and stay as written.
Everything shown to a person or a program passes through :meth:`Redactor.text` /
:meth:`Redactor.value`, and log records through :class:`RedactingFormatter`.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

from opsteam.domain.secrets import mask_secrets

if TYPE_CHECKING:
    from pydantic import BaseModel

    from opsteam.domain.registry import Registry

_M = TypeVar("_M", bound="BaseModel")
_DASHES = "\u2010-\u2015\u2212\u2011_-"
_ID_SHAPE = re.compile(r"^([A-Za-z]+)[\s" + _DASHES + r"]*(\d+)$")


_REMEMBERED = 8192  # texts whose redaction a Redactor keeps
_REMEMBERED_LENGTH = 512  # longer texts are redacted each time (request texts, files)
_KEPT_ROSTERS = 16


class Redactor:
    """Maps internal IDs to public names and masks secrets; immutable, cheap to call."""

    def __init__(self, public_names: Mapping[str, str]) -> None:
        self._by_number: dict[str, list[tuple[str, str]]] = {}
        self._seen: dict[str, str] = {}
        numbers = set()
        alternatives = []
        for identifier, name in public_names.items():
            shape = _ID_SHAPE.match(identifier.strip())
            if shape is None:
                raise ValueError(f"internal id {identifier!r} is not PREFIX-NUMBER")
            prefix, number = shape.groups()
            self._by_number.setdefault(number, []).append((prefix, name))
            numbers.add(number)
            alternatives.append(re.escape(prefix) + r"[ " + _DASHES + r"]?" + re.escape(number))
        # Every match holds its ID's number as written (digits: no case to ignore), so a text
        # with none of the numbers is not searched (a file of a hundred kilobytes costs a few
        # substring searches instead of the pattern tried at every position).
        self._numbers = tuple(sorted(numbers))
        body = "|".join(sorted(alternatives, key=len, reverse=True))
        # Whole tokens: no letter or digit before, no digit after (INF-0030 is not INF-003).
        self._pattern = (
            re.compile(r"(?<![A-Za-z0-9])(?:" + body + r")(?![0-9])", re.IGNORECASE)
            if body
            else None
        )

    @classmethod
    def for_registry(cls, registry: Registry) -> Redactor:
        """One redactor per roster (its pattern compiled once, its answers remembered)."""
        names = tuple(registry.public_names().items())
        found = _BY_ROSTER.get(names)
        if found is None:
            if len(_BY_ROSTER) >= _KEPT_ROSTERS:
                _BY_ROSTER.clear()
            found = _BY_ROSTER[names] = cls(dict(names))
        return found

    def _replace(self, match: re.Match[str]) -> str:
        """The name of the ID the pattern matched, compared as the pattern compares: Unicode
        case folding also matches letters outside A-Z (a Turkish "İNF-001" is INF-001), which
        are redacted like the ID they stand for, never left in the text or failed on."""
        written = match.group(0)
        number = written.rstrip("0123456789")
        number = written[len(number) :]
        letters = written[: -len(number)]
        if letters and not letters[-1].isalpha():  # the one separator the pattern allows
            letters = letters[:-1]
        candidates = self._by_number[number]
        for prefix, name in candidates:
            if re.fullmatch(re.escape(prefix), letters, re.IGNORECASE):
                return name
        return candidates[0][1]  # unreachable by the pattern; a name, never the ID

    def ids(self, text: str) -> list[str]:
        """The roster IDs ``text`` contains (as written), for checks and tests."""
        return [m.group(0) for m in self._pattern.finditer(text)] if self._pattern else []

    def named(self, text: str) -> str:
        """Public names instead of the roster's IDs, nothing else: the way in, so what is
        stored (checkpoints, history, conversations) already reads as every way out shows it."""
        if self._pattern is None or not any(n in text for n in self._numbers):
            return text
        return self._pattern.sub(self._replace, text)

    def text(self, text: str) -> str:
        """Public names instead of internal IDs, then secrets masked (a pure function of the
        text, so the answers for short texts - keys, names, statuses - are remembered)."""
        found = self._seen.get(text)
        if found is not None:
            return found
        redacted = mask_secrets(self.named(text))
        if len(text) <= _REMEMBERED_LENGTH:
            if len(self._seen) >= _REMEMBERED:
                self._seen.clear()
            self._seen[text] = redacted
        return redacted

    def named_model(self, model: _M) -> _M:
        """A copy of ``model`` with every string in it, nested ones too, named.

        Not validated again: a name is longer than its ID and must not fail a length limit the
        person's text met. Enum members and other non-``str`` values keep their type.
        """
        update = {
            field: self._named_data(getattr(model, field))
            for field in type(model).model_fields
            if getattr(model, field) is not None
        }
        return model.model_copy(update=update)

    def _named_data(self, value: Any) -> Any:
        if type(value) is str:
            return self.named(value)
        if _is_model(value):
            return self.named_model(value)
        if isinstance(value, list):
            return [self._named_data(v) for v in value]
        if type(value) is tuple:
            return tuple(self._named_data(v) for v in value)
        if isinstance(value, dict):
            return {k: self._named_data(v) for k, v in value.items()}
        return value

    def value(self, value: Any) -> Any:
        """Redact any JSON-like value; pydantic models are dumped to JSON-mode data first."""
        kind = type(value)  # the plain JSON types first, by exact type: most of any value
        if kind is str:
            return self.text(value)
        if kind is dict:
            return {self.value(k): self.value(v) for k, v in value.items()}
        if kind is list:
            return [self.value(v) for v in value]
        if kind in _KEPT:
            return value
        if isinstance(value, str):
            return self.text(value)
        if _is_model(value):
            return self.value(value.model_dump(mode="json", by_alias=True))
        if isinstance(value, Mapping):
            return {self.value(k): self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.value(v) for v in value]
        if isinstance(value, Enum):
            return self.value(value.value)
        if isinstance(value, datetime | date):
            return value.isoformat()
        return value


_BY_ROSTER: dict[tuple[tuple[str, str], ...], Redactor] = {}
# Values :meth:`Redactor.value` returns as they are (by exact type: an enum member is not one).
_KEPT = frozenset({int, float, bool, type(None)})


def _is_model(value: Any) -> bool:
    """A pydantic model (pydantic is imported only once a model can exist: never for text)."""
    if "pydantic" not in sys.modules:
        return False
    from pydantic import BaseModel

    return isinstance(value, BaseModel)


class RedactingFormatter(logging.Formatter):
    """Formats a record (message, arguments and traceback) and sends it through the exit."""

    def __init__(self, redactor: Redactor, fmt: str | None = None) -> None:
        super().__init__(fmt)
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self.redactor.text(super().format(record))
