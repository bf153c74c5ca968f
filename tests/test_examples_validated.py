"""Every example, end to end, through the real validators (``pytest -m validators``).

Each file in examples/ runs through the service with the default verifier, every checkpoint is
approved, and the finished bundle must have passed every validator that applies to it, with the
whole design codified. ci-pipeline.yaml is not ours and must be redirected instead.

A missing tool skips locally and fails when ``CI`` is set: CI must never pass unverified.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from opsteam.application.results import RunResult
from opsteam.application.service import Opsteam, real_verifier
from opsteam.domain.models import Artifact, ValidationResult, ValidationStatus
from opsteam.graphs.state import RequestState
from opsteam.intake import parse_requests

pytestmark = pytest.mark.validators

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
REDIRECTED = {"ci-pipeline.yaml"}
MAX_ROUNDS = 10  # approvals; a request that keeps asking is a bug, not a reason to hang

# What must have run on each artifact, by kind (written out here, not read from the code
# under test). Kustomization files are partial objects: YAML parse only, and each overlay
# must also build (kustomize).
EXPECTED: dict[str, set[str]] = {
    "terraform": {"hcl2", "tf-schema", "checkov"},
    "tfvars": {"hcl2"},
    "prometheus-config": {"promtool-config"},
    "alertmanager-config": {"amtool"},
    "kubernetes": {"kubernetes-validate", "checkov"},
    "ansible": {"ansible-syntax", "ansible-lint"},
    "prometheus-rules": {"promtool"},
    "prometheus-tests": {"promtool-test"},
    "grafana-dashboard": {"json"},
    "svg": {"svg"},
    "json": {"json"},
    "yaml": {"yaml"},
    "markdown": set(),
}


def examples() -> list[str]:
    names = sorted(p.name for p in EXAMPLES.glob("*.y*ml"))
    return [n for n in names if n not in REDIRECTED]


def run_to_the_end(team: Opsteam, example: Path) -> list[RunResult]:
    """Every request of the file in order, in one home (a Modify after the stack it changes)."""
    results = []
    for request in parse_requests(example.read_bytes(), str(example)):
        [result] = team.submit([request])
        for _ in range(MAX_ROUNDS):
            if result.status != "awaiting-approval":
                break
            result = team.decide(result.thread_id, "approve", all_pending=True, by="ci")
        else:
            pytest.fail(f"{example.name} still awaits approval after {MAX_ROUNDS} rounds")
        results.append(result)
    return results


def expected_validators(artifact: Artifact) -> set[str]:
    if Path(artifact.path).name == "kustomization.yaml":
        overlay = Path(artifact.path).parent.parent.name == "overlays"
        exporters = artifact.path == "monitoring/kustomization.yaml"  # built on its own
        return {"yaml", "kustomize"} if overlay or exporters else {"yaml"}
    return EXPECTED[artifact.kind]


def problems(results: list[ValidationResult]) -> list[str]:
    return [
        f"{v.path} [{v.validator}] {v.status.value}: {'; '.join(map(str, v.findings)) or '-'}"
        for v in results
        if v.status is not ValidationStatus.PASSED
    ]


@pytest.mark.parametrize("name", examples())
def test_example_completes_with_every_validator_passing(
    name: str, tmp_path: Path, tools_installed: None
) -> None:
    team = Opsteam(home=tmp_path / "home", verifier=real_verifier)
    for result in run_to_the_end(team, EXAMPLES / name):
        assert result.status == "completed", (result.status, result.error)
        check_bundle(team.state(result.thread_id))


def check_bundle(state: RequestState) -> None:
    artifacts, validations = state.all_artifacts(), state.all_validations()
    assert artifacts and validations
    assert not problems(validations), "\n".join(problems(validations))

    ran: dict[str, set[str]] = {}
    for v in validations:
        ran.setdefault(v.path, set()).add(v.validator)
    assert set(ran) <= {a.path for a in artifacts}, "results for files not in the bundle"
    for artifact in artifacts:
        assert ran.get(artifact.path, set()) == expected_validators(artifact), artifact.path

    plan = state.automation
    assert plan is not None and plan.resources_total > 0
    assert plan.resources_as_code == plan.resources_total, plan


def test_the_ci_pipeline_example_is_redirected(tmp_path: Path) -> None:
    team = Opsteam(home=tmp_path / "home", verifier=real_verifier)
    [result] = run_to_the_end(team, EXAMPLES / "ci-pipeline.yaml")
    assert result.status == "redirected"
    assert result.redirect is not None and result.redirect.owner
    assert not result.artifacts and not result.validations


def test_every_example_is_covered() -> None:
    found = {p.name for p in EXAMPLES.iterdir() if p.is_file()}
    assert found == set(examples()) | REDIRECTED
