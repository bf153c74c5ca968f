"""Per-file verdicts produced by the pure parsers, before they become ValidationResults.

Kept apart from the pydantic model so parsers stay free of paths/validator bookkeeping.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from opsteam.domain.models import Finding, FindingSeverity, ValidationStatus

MAX_FINDING = 300


@dataclass(frozen=True)
class Outcome:
    status: ValidationStatus
    findings: tuple[Finding, ...] = field(default=())


PASSED = Outcome(ValidationStatus.PASSED)
NOT_INSTALLED = Outcome(ValidationStatus.NOT_INSTALLED)


def failed(findings: list[Finding]) -> Outcome:
    """A failure always carries at least one finding, so a reader can see why."""
    return Outcome(ValidationStatus.FAILED, tuple(findings) or (finding("unspecified", "failed"),))


def error(reason: str, check: str = "not-verified") -> Outcome:
    """The validator could not give a verdict: the file was not verified."""
    return Outcome(ValidationStatus.ERROR, (finding(check, reason),))


def finding(
    check: str,
    message: str,
    *,
    resource: str = "",
    line: int | None = None,
    severity: FindingSeverity = "error",
) -> Finding:
    """A finding as the tool reported it; the runner fills in the validator and the file."""
    return Finding(
        check_id=check, message=clip(message), resource=resource, line=line, severity=severity
    )


def clip(text: str) -> str:
    """Findings are shown in summaries; keep each one a readable single line."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_FINDING else text[: MAX_FINDING - 3] + "..."


def tail(text: str, lines: int = 3) -> str:
    """The last meaningful lines of tool output, for error messages."""
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " | ".join(kept[-lines:]) if kept else "no output"
