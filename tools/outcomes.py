"""Per-file verdicts produced by the pure parsers, before they become ValidationResults.

Kept apart from the pydantic model so parsers stay free of paths/validator bookkeeping.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from opsteam.models import ValidationStatus

MAX_FINDING = 300


@dataclass(frozen=True)
class Outcome:
    status: ValidationStatus
    findings: tuple[str, ...] = field(default=())


PASSED = Outcome(ValidationStatus.PASSED)
NOT_INSTALLED = Outcome(ValidationStatus.NOT_INSTALLED)


def failed(findings: list[str]) -> Outcome:
    """A failure always carries at least one finding, so a reader can see why."""
    return Outcome(ValidationStatus.FAILED, tuple(findings) or ("unspecified failure",))


def error(reason: str) -> Outcome:
    """The validator could not give a verdict: the file was not verified."""
    return Outcome(ValidationStatus.ERROR, (clip(reason),))


def finding(check: str, message: str, where: str = "") -> str:
    """One line: check id, short message, and the resource or location it is about."""
    text = " ".join(message.split())
    line = f"{check}: {text}" + (f" ({where})" if where else "")
    return clip(line)


def clip(text: str) -> str:
    """Findings are shown in summaries; keep each one a readable single line."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_FINDING else text[: MAX_FINDING - 3] + "..."


def tail(text: str, lines: int = 3) -> str:
    """The last meaningful lines of tool output, for error messages."""
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " | ".join(kept[-lines:]) if kept else "no output"
