"""kustomize: which kustomizations are built, the parser on recorded kubectl output, and the
runner wiring (one build per overlay, findings on the overlay's kustomization.yaml)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from opsteam.domain.models import Artifact, ValidationStatus
from opsteam.tools import kustomize
from opsteam.tools.runner import CommandResult
from opsteam.tools.validators import validate_bundle
from tests.fakes import kustomize_finding
from tests.test_validators import FakeRunner, by_key, ok, write

PASSED, FAILED = ValidationStatus.PASSED, ValidationStatus.FAILED
ERROR, NOT_INSTALLED = ValidationStatus.ERROR, ValidationStatus.NOT_INSTALLED
RECORDED = Path(__file__).resolve().parent / "recorded" / "kustomize"


def test_overlays_are_roots_and_the_base_they_include_is_not() -> None:
    docs: dict[str, list[Any]] = {
        "k/base/kustomization.yaml": [{"resources": ["deploy.yaml"]}],
        "k/overlays/dev/kustomization.yaml": [{"resources": ["../../base"]}],
        "k/overlays/prod/kustomization.yaml": [{"resources": ["../../base/", "../../common"]}],
        "k/common/kustomization.yaml": [{"components": ["../parts"]}],
        "k/parts/kustomization.yaml": [{"resources": ["x.yaml"]}],
        "lone/kustomization.yaml": [],
    }
    assert kustomize.roots(docs) == [
        "k/overlays/dev/kustomization.yaml", "k/overlays/prod/kustomization.yaml",
        "lone/kustomization.yaml",
    ]  # fmt: skip


# (recording, message) from kubectl 1.32.4 / kustomize v5.5.0, the bundle dir shown as /BUNDLE.
RECORDINGS = {
    "missing-resource": "accumulating resources ... lstat kubernetes/base/hpa.yaml: no such file "
    "or directory",
    "bad-patch": "replace operation does not apply: doc is missing path: /spec/nothere/replicas: "
    "missing value",
    "unknown-field": 'invalid Kustomization: json: unknown field "bogusField"',
    "id-conflict": "namespace transformation produces ID conflict: "
    "[Service/storefront-prod/storefront, Service/storefront-prod/storefront]",
}


@pytest.mark.parametrize("case", sorted(RECORDINGS))
def test_recorded_kustomize_errors_become_one_readable_finding(case: str) -> None:
    data = json.loads((RECORDED / f"{case}.json").read_text(encoding="utf-8"))
    outcome = kustomize.parse(CommandResult(data["rc"], data["stdout"], data["stderr"]),
                              bundle_dir="/BUNDLE")  # fmt: skip
    assert outcome.status is FAILED
    [found] = outcome.findings
    assert found.check_id == "kustomize-build"
    assert len(found.message) <= 300 and "/BUNDLE" not in found.message
    expected = RECORDINGS[case]
    if case == "missing-resource":
        head, tail = expected.split(" ... ")
        assert found.message.startswith(head + " ... ") and found.message.endswith(tail)
    else:
        assert found.message == expected


def test_every_recording_is_covered() -> None:
    assert {p.stem for p in RECORDED.glob("*.json")} == set(RECORDINGS)


def test_older_kubectl_error_lines_and_silence() -> None:
    old = kustomize.parse(CommandResult(1, "", "error: no matches for Id Deployment.v1.apps/x\n"))
    assert [f.message for f in old.findings] == ["no matches for Id Deployment.v1.apps/x"]
    assert kustomize.parse(CommandResult(0, "", "")).status is FAILED  # builds to nothing
    assert kustomize.parse(CommandResult(0, "kind: X\n", "")).status is PASSED
    assert kustomize.parse(CommandResult(137, "", "killed")).status is ERROR


OVERLAY = "resources:\n  - ../../base\n"


def _bundle(tmp_path: Path) -> list[Artifact]:
    files = {
        "kubernetes/base/kustomization.yaml": "resources:\n  - deploy.yaml\n",
        "kubernetes/base/deploy.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
        "kubernetes/overlays/dev/kustomization.yaml": OVERLAY,
        "kubernetes/overlays/prod/kustomization.yaml": OVERLAY,
    }
    write(tmp_path, files)
    return [
        Artifact(path=p, role="automation-engineer", content="",
                 kind="yaml" if p.endswith("kustomization.yaml") else "kubernetes")
        for p in files
    ]  # fmt: skip


def test_each_overlay_is_built_once_and_owns_its_findings(tmp_path: Path) -> None:
    failure = json.loads((RECORDED / "bad-patch.json").read_text())

    def kubectl(argv: list[str]) -> CommandResult:
        if argv[-1] == "kubernetes/overlays/prod":
            return CommandResult(failure["rc"], "", failure["stderr"])
        return ok("apiVersion: v1\nkind: ConfigMap\n")

    runner = FakeRunner({
        "kubectl": kubectl, "checkov:kubernetes": ok('{"results": {}}'),
        "kubernetes-validate": ok("INFO kubernetes/base/deploy.yaml ok"),
    })  # fmt: skip
    results = by_key(validate_bundle(tmp_path, _bundle(tmp_path), runner=runner))
    builds = sorted(argv[1:] for argv, _, _ in runner.calls if argv[0].endswith("kubectl"))
    assert builds == [["kustomize", "kubernetes/overlays/dev"],
                      ["kustomize", "kubernetes/overlays/prod"]]  # fmt: skip
    assert results[("kubernetes/overlays/dev/kustomization.yaml", "kustomize")].status is PASSED
    prod = results[("kubernetes/overlays/prod/kustomization.yaml", "kustomize")]
    assert prod.status is FAILED
    assert prod.findings[0] == kustomize_finding(
        "kubernetes/overlays/prod/kustomization.yaml", prod.findings[0].message
    )
    assert "doc is missing path" in prod.findings[0].message
    assert ("kubernetes/base/kustomization.yaml", "kustomize") not in results


def test_kubectl_missing_means_not_installed(tmp_path: Path) -> None:
    runner = FakeRunner({"checkov:kubernetes": ok('{"results": {}}'),
                         "kubernetes-validate": ok("INFO kubernetes/base/deploy.yaml ok")},
                        installed=("checkov", "kubernetes-validate"))  # fmt: skip
    results = by_key(validate_bundle(tmp_path, _bundle(tmp_path), runner=runner))
    overlay = results[("kubernetes/overlays/dev/kustomization.yaml", "kustomize")]
    assert overlay.status is NOT_INSTALLED
