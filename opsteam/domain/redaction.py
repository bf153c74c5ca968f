"""The single exit: internal role IDs become public names, secrets are masked.

Everything shown to a person or a program (CLI text, JSON, errors, logs, artifacts written
to disk, interrupt payloads) passes through :func:`redact` or :func:`redact_text`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

# Any ID of the internal scheme, including look-alike dashes, spacing and case variants.
_ID = re.compile(r"INF\s*[-\u2010-\u2015\u2212_]?\s*(\d{3})", re.IGNORECASE)
_SECRETS = [
    (re.compile(r"AKIA[0-9A-Z]{16}"), "[redacted-aws-key]"),
    (
        re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"),
        "[redacted-private-key]",
    ),
    (
        re.compile(r"(?i)\b(password|passwd|secret|token|api[_-]?key)(\s*[:=]\s*)[^\s,;\"']+"),
        r"\1\2[redacted]",
    ),
    (re.compile(r"(?i)\bbearer\s+[a-z0-9._~+/=-]{8,}"), "Bearer [redacted]"),
]
_FALLBACK_NAME = "a team member"
_SEPARATOR = r"\s*[-\u2010-\u2015\u2212_]?\s*"


# IDs of user registries (any scheme), added when such a registry is loaded.
_CUSTOM: dict[str, str] = {}
_custom_pattern: re.Pattern[str] | None = None


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    from opsteam.domain.registry import load_registry

    try:
        return {k.upper(): v for k, v in load_registry().public_names().items()}
    except Exception:  # a broken registry must never make redaction leak
        return {}


def register_ids(names: Mapping[str, str]) -> None:
    """Also redact these internal IDs (e.g. from ``--registry my-roster.yaml``)."""
    global _custom_pattern
    _CUSTOM.update({_canonical(k): v for k, v in names.items()})
    alternatives = sorted(_CUSTOM, key=len, reverse=True)
    flexible = [_SEPARATOR.join(re.escape(part) for part in k.split("-")) for k in alternatives]
    _custom_pattern = re.compile("|".join(flexible), re.IGNORECASE) if flexible else None


def _canonical(identifier: str) -> str:
    return re.sub(r"[\s\u2010-\u2015\u2212_-]+", "-", identifier.strip()).upper()


def _replace_id(match: re.Match[str]) -> str:
    return _names().get(f"INF-{match.group(1)}", _FALLBACK_NAME)


def _replace_custom(match: re.Match[str]) -> str:
    return _CUSTOM.get(_canonical(match.group(0)), _FALLBACK_NAME)


def redact_text(text: str) -> str:
    """Replace internal IDs with public role names and mask secrets."""
    previous = None
    while previous != text:  # replacements can't create new IDs, but be certain
        previous = text
        if _custom_pattern is not None:
            text = _custom_pattern.sub(_replace_custom, text)
        text = _ID.sub(_replace_id, text)
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def redact(value: Any) -> Any:
    """Redact any JSON-like value; pydantic models are dumped to JSON-mode data first."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, BaseModel):
        return redact(value.model_dump(mode="json", by_alias=True))
    if isinstance(value, Mapping):
        return {redact(k): redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(v) for v in value]
    if isinstance(value, Enum):
        return redact(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


class RedactingFilter(logging.Filter):
    """Log records shown to users go through the same exit."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_text(record.getMessage())
        record.args = None
        return True
