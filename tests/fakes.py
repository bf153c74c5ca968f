"""In-memory fakes for the I/O boundaries (validators) used by flow tests."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import yaml

from opsteam.domain.models import Artifact, Finding, ValidationResult, ValidationStatus
from opsteam.tools.tfschema.model import ProviderSchema
from opsteam.tools.tfschema.store import FixedSchemaStore

# The safe loader in C (libyaml) when PyYAML has it: the same parse, a tenth of the time, so
# the stand-in for the linters does not weigh on flow tests and benchmarks. Documents are
# composed (syntax, structure, anchors and aliases checked), not built into Python values:
# building them is most of the cost and checks nothing a linter would.
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
            elif artifact.kind in (
                "yaml",
                "kubernetes",
                "ansible",
                "prometheus-rules",
                "prometheus-tests",
                "alertmanager-config",
            ):
                list(yaml.compose_all(artifact.content, Loader=_YAML_LOADER))
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


# ---------------------------------------------------------------- provider schema (tf-schema)

# A tiny provider schema in the cache's own format (see opsteam.tools.tfschema.model): enough
# AWS to plant every kind of defect. Block 0 is the provider block.
FAKE_AWS_SCHEMA: dict[str, Any] = {
    "format": 1,
    "source": "test-fixture",
    "provider": "aws",
    "provider_version": "5.99.1",
    "provider_block": 0,
    "blocks": [
        {"arguments": {"region": False, "alias": False},
         "blocks": {"default_tags": {"block": 1, "single": False, "required": False}}},
        {"arguments": {"tags": False}, "blocks": {}},
        {"arguments": {"bucket": False, "tags": False, "force_destroy": False},
         "blocks": {"logging": {"block": 3, "single": True, "required": False},
                    "timeouts": {"block": 4, "single": True, "required": False}}},
        {"arguments": {"target_bucket": True, "target_prefix": False}, "blocks": {}},
        {"arguments": {"create": False, "delete": False}, "blocks": {}},
        {"arguments": {"cidr_block": False, "tags": False}, "blocks": {}},
        {"arguments": {"name": False, "vpc_id": False},
         "blocks": {"ingress": {"block": 7, "single": False, "required": False},
                    "statement": {"block": -1, "single": False, "required": False}}},
        {"arguments": {"from_port": True, "to_port": True, "protocol": True,
                       "cidr_blocks": False}, "blocks": {}},
        {"arguments": {}, "blocks": {}},
    ],
    "resources": {
        "aws_s3_bucket": {"block": 2, "computed": ["arn", "bucket_domain_name"]},
        "aws_vpc": {"block": 5, "computed": ["arn", "default_route_table_id"]},
        "aws_security_group": {"block": 6, "computed": ["arn", "owner_id"]},
    },
    "data_sources": {"aws_caller_identity": {"block": 8, "computed": ["account_id", "arn"]}},
}  # fmt: skip


def fake_schema_store(installed: bool = True) -> FixedSchemaStore:
    """The tf-schema boundary in memory: the fixture schema, or "not installed"."""
    return FixedSchemaStore(ProviderSchema.from_dict(FAKE_AWS_SCHEMA) if installed else None)


def tf_schema_finding(check_id: str, resource: str, file: str, message: str, line: int) -> Finding:
    """A finding exactly as tf-schema reports one (see opsteam.tools.tfschema.check)."""
    return Finding(validator="tf-schema", check_id=check_id, file=file, line=line,
                   resource=resource, message=message)  # fmt: skip


def kustomize_finding(kustomization: str, message: str) -> Finding:
    """A failed overlay build as the kustomize validator reports it (on the kustomization)."""
    return Finding(validator="kustomize", check_id="kustomize-build", file=kustomization,
                   message=message)  # fmt: skip


def promtool_test_finding(test_file: str, alert: str, message: str) -> Finding:
    """A failed alert expectation as promtool-test reports it (resource = the alert)."""
    return Finding(validator="promtool-test", check_id="alert-test", file=test_file,
                   resource=alert, message=message)  # fmt: skip
