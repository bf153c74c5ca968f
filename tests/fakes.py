"""In-memory fakes for the I/O boundaries (validators) used by flow tests."""

from __future__ import annotations

import json
from collections.abc import Sequence

import yaml

from opsteam.domain.models import Artifact, Finding, ValidationResult, ValidationStatus


class ParseOnlyVerifier:
    """Stands in for the real linters: parses YAML/JSON, records every call, can fail on cue."""

    def __init__(self, fail_paths: Sequence[str] = (), fail_times: int = 0) -> None:
        self.calls: list[list[str]] = []
        self.fail_paths = set(fail_paths)
        self.fail_times = fail_times

    def __call__(self, artifacts: Sequence[Artifact]) -> list[ValidationResult]:
        self.calls.append([a.path for a in artifacts])
        failing_now = len(self.calls) <= self.fail_times
        return [self._check(a, failing_now) for a in artifacts if a.kind != "markdown"]

    @staticmethod
    def _finding(artifact: Artifact, check_id: str, message: str) -> Finding:
        return Finding(
            validator="fake-parse", check_id=check_id, file=artifact.path, message=message
        )

    def _check(self, artifact: Artifact, failing_now: bool) -> ValidationResult:
        findings: list[Finding] = []
        try:
            if artifact.kind in ("json", "grafana-dashboard"):
                json.loads(artifact.content)
            elif artifact.kind in ("yaml", "kubernetes", "ansible", "prometheus-rules"):
                list(yaml.safe_load_all(artifact.content))
        except (ValueError, yaml.YAMLError) as exc:
            findings.append(self._finding(artifact, "PARSE", str(exc)))
        if failing_now and artifact.path in self.fail_paths:
            findings.append(self._finding(artifact, "FAKE_001", "injected failure"))
        status = ValidationStatus.FAILED if findings else ValidationStatus.PASSED
        return ValidationResult(
            path=artifact.path, validator="fake-parse", status=status, findings=findings
        )


def checkov_finding(check_id: str, resource: str, file: str, line: int = 1) -> Finding:
    """A finding exactly as the real checkov parser reports one (see tools/checkov.py)."""
    return Finding(
        validator="checkov",
        check_id=check_id,
        file=file,
        line=line,
        resource=resource,
        message=f"Ensure {check_id} holds",
    )
