"""The request eval: labelled requests, written as people write them, run through intake and
the architect exactly as a submission is, and scored against the targets.

Pure apart from :func:`load_cases`: each case goes through the same functions the request
graph uses (plain-words parser or form normalisation, scope check, the architect's design).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from opsteam.application.eval_scores import Score, Targets, score_cases
from opsteam.domain.errors import InputError, describe_validation_error
from opsteam.domain.models import ChangeRequest
from opsteam.domain.registry import CheckpointKind, Registry
from opsteam.intake.forms import prepare_form
from opsteam.intake.read import Reader, form_redirect
from opsteam.intake.scope import redirect_for, scope_redirect
from opsteam.intake.words import parse_words, to_request

DEFAULT_DIR = Path("evals/requests")
MAX_FILE_BYTES = 2_000_000
SPECIALISTS = ("systems-administrator", "network-engineer", "database-administrator")

__all__ = ["DEFAULT_DIR", "CaseOutcome", "RequestCase", "Targets", "load_cases", "run_eval"]


class Expected(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    specialists: list[str] = Field(default_factory=list)
    checkpoints: list[CheckpointKind] = Field(default_factory=list)
    redirect: str | None = None
    missing: list[str] = Field(default_factory=list)
    fields: dict[str, Any] = Field(default_factory=dict)


class RequestCase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,79}$")
    text: str | None = None
    form: dict[str, Any] | None = None
    expect: Expected
    note: str = ""
    file: str = ""

    @model_validator(mode="after")
    def _one_input(self) -> RequestCase:
        if (self.text is None) == (self.form is None):
            raise ValueError("a case has either text or form")
        return self


@dataclass(frozen=True)
class CaseOutcome:
    """What intake and the architect made of one case."""

    case: RequestCase
    fields: dict[str, Any]
    missing: list[str]
    redirect: str | None
    specialists: list[str]
    checkpoints: list[str]
    problems: list[str]


def _form_outcome(
    case: RequestCase, registry: Registry
) -> tuple[ChangeRequest | None, dict[str, Any], list[str], list[str]]:
    form = prepare_form(case.form or {}, registry.routing)
    try:
        request = ChangeRequest.model_validate(form)
    except ValidationError as exc:
        if form_redirect(case.form, registry) is not None:
            return None, form, [], []
        problems = describe_validation_error(exc)
        missing = [p.split(":")[0] for p in problems if p.endswith("required field is missing")]
        return None, form, missing, problems
    return request, request.model_dump(mode="json"), [], []


def outcome(case: RequestCase, registry: Registry, reader: Reader | None = None) -> CaseOutcome:
    """Run one case through intake (the model's reading too, when given), scope, architect."""
    redirect = None
    if case.text is not None:
        parsed = parse_words(case.text, registry, requester="eval")
        words = case.text
        found = redirect_for(words, words, registry)
        redirect = found.owner if found else None
        if reader is not None and redirect is None:
            parsed = reader(case.text, parsed)
        request, problems = to_request(parsed) if redirect is None else (None, [])
        fields = parsed.form
        missing = [] if redirect is not None else parsed.missing  # nothing is asked of it
    else:
        request, fields, missing, problems = _form_outcome(case, registry)
        found = form_redirect(case.form, registry) if request is None else None
        redirect = found.owner if found else None
    if request is not None:
        found = scope_redirect(request, registry)
        redirect = found.owner if found else None
        fields = request.model_dump(mode="json")
    specialists: list[str] = []
    checkpoints: list[str] = []
    if request is not None and redirect is None:
        from opsteam.agents.architect import role as architect

        design = architect.decide(request, registry)
        specialists = [a.role for a in design.assignments]
        checkpoints = [c.kind for c in design.checkpoints]
    return CaseOutcome(case, fields, missing, redirect, specialists, checkpoints, problems)


def run_eval(
    cases: Sequence[RequestCase],
    registry: Registry,
    targets: Targets | None = None,
    reader: Reader | None = None,
) -> Score:
    return score_cases([outcome(c, registry, reader) for c in cases], targets or Targets())


def load_cases(path: Path) -> list[RequestCase]:
    """Every case of a YAML file, or of every YAML file in a directory (sorted)."""
    if not path.exists():
        raise InputError(f"eval: {path} not found (give a case file or directory)")
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    if not files:
        raise InputError(f"{path}: no eval case files (*.yaml)")
    cases: list[RequestCase] = []
    for file in files:
        cases += _read(file)
    ids = [c.id for c in cases]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InputError(f"{path}: duplicate case id(s): {', '.join(duplicates)}")
    return cases


def _read(file: Path) -> list[RequestCase]:
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise InputError(f"{file}: cannot read ({exc.strerror or exc})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(f"{file}: larger than {MAX_FILE_BYTES} bytes")
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise InputError(f"{file}: malformed YAML: {exc}") from None
    if not isinstance(data, list):
        raise InputError(f"{file}: a case file is a YAML list of cases")
    try:
        return [RequestCase.model_validate({**item, "file": file.name}) for item in data]
    except ValidationError as exc:
        problems = describe_validation_error(exc, prefix=f"{file}: ")
        raise InputError(problems[0], problems) from None
    except TypeError:
        raise InputError(f"{file}: every case must be a mapping") from None
