"""Tests written against mutants that once passed the whole suite (issue 10, item 9).

Each test names the bug it catches: the manifest hashing the path, an unredacted manifest
title, case-sensitive redaction, a production Remove with no approval, a change-gate item
hard-wired to pass, and the application-code redirect rule gone.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from opsteam.agents.architect import role as architect
from opsteam.application.bundle import MANIFEST, manifest, write_bundle
from opsteam.application.service import Opsteam
from opsteam.domain.models import Artifact, ValidationResult, ValidationStatus
from opsteam.domain.redaction import Redactor
from opsteam.domain.registry import Registry
from opsteam.graphs import routing
from opsteam.graphs.state import RequestState
from opsteam.intake import scope_redirect
from tests.conftest import RequestFactory
from tests.fakes import ParseOnlyVerifier
from tests.team import past_design_review

ARTIFACTS = [
    Artifact(
        path="terraform/main.tf",
        role="automation-engineer",
        kind="terraform",
        content='# owner INF-006\nresource "x" "y" {}\n',
    ),
    Artifact(
        path="docs/runbook.md",
        role="site-reliability-engineer",
        kind="markdown",
        content="Ask inf-004 first.\n",
    ),
]
VALIDATIONS = [
    ValidationResult(path="terraform/main.tf", validator="fake", status=ValidationStatus.PASSED)
]


def test_manifest_sha256_is_the_hash_of_each_written_files_bytes(
    tmp_path: Path, registry: Registry
) -> None:
    """Mutant: sha256 of the path (or of the unredacted content) instead of the file bytes."""
    out = write_bundle(tmp_path / "b", ARTIFACTS, VALIDATIONS, registry, "Title")
    data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert {f["path"] for f in data["files"]} == {a.path for a in ARTIFACTS}
    for entry in data["files"]:
        written = (out / entry["path"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(written).hexdigest()
        assert entry["sha256"] != hashlib.sha256(entry["path"].encode()).hexdigest()
    assert b"Database Administrator" in (out / "docs/runbook.md").read_bytes()


def test_manifest_title_is_redacted_and_masked(registry: Registry) -> None:
    """Mutant: the request title copied into the manifest as it was typed."""
    title = "Cache for INF-004 and inf-002, key AKIAABCDEFGHIJKLMNOP, JIRA INF-123"
    data = manifest(ARTIFACTS, VALIDATIONS, registry, title)
    shown = data["request"]
    assert shown == (
        "Cache for Database Administrator and Systems Administrator, key [redacted-aws-key], "
        "JIRA INF-123"
    )


@pytest.mark.parametrize("written", ["inf-004", "Inf-004", "iNF 004", "INF_004", "inf\u2011004"])
def test_redaction_ignores_case_and_separator(written: str, registry: Registry) -> None:
    """Mutant: the redaction pattern losing re.IGNORECASE (a lower-case ID slips through)."""
    redactor = Redactor.for_registry(registry)
    assert redactor.text(f"ask {written} now") == "ask Database Administrator now"
    assert redactor.ids(f"ask {written} now") == [written]
    # Another roster's scheme, written in lower case, is replaced just the same.
    other = Redactor({"OPS-12": "Database Administrator"})
    assert other.text("ops-12 and ops 12") == "Database Administrator and Database Administrator"


def test_a_remove_in_production_asks_for_production_approval(
    make_request: RequestFactory, registry: Registry
) -> None:
    """Mutant: production approval only for New/Modify (a Remove in prod goes unapproved)."""
    request = make_request(type="Remove", environment="prod", component="database")
    design = architect.decide(request, registry)
    assert "production-change" in [c.kind for c in design.checkpoints]
    assert routing.needs_production_approval(RequestState(request=request, design=design))
    dev = make_request(type="Remove", environment="dev", component="database")
    dev_design = architect.decide(dev, registry)
    assert not routing.needs_production_approval(RequestState(request=dev, design=dev_design))


def test_a_remove_in_production_pauses_the_run_at_the_production_gate(
    tmp_path: Path, make_request: RequestFactory
) -> None:
    """The same mutant seen through the real service: the run must not finish unapproved."""
    team = Opsteam(home=tmp_path / "home", verifier=ParseOnlyVerifier())
    request = make_request(type="Remove", environment="prod", component="server")
    [first] = team.submit([request])
    result = past_design_review(team, first)
    assert result.status == "awaiting-approval"
    assert [p.id for p in result.pending] == ["production-change"]


def _gate(state: RequestState, registry: Registry) -> dict[str, bool]:
    return {g.item: g.passed for g in routing.change_approval(state, registry)}


def test_risk_assessment_item_passes_only_with_a_design(
    make_request: RequestFactory, registry: Registry
) -> None:
    """Mutant: "Risk assessment complete" hard-wired to pass."""
    request = make_request(environment="prod")
    assert not _gate(RequestState(request=request), registry)["Risk assessment complete"]
    design = architect.decide(request, registry)
    assert _gate(RequestState(request=request, design=design), registry)["Risk assessment complete"]


def test_rollback_item_passes_only_with_rollback_steps(
    make_request: RequestFactory, registry: Registry
) -> None:
    """Mutant: "Rollback plan defined" hard-wired to pass."""
    request = make_request(environment="prod")
    design = architect.decide(request, registry)
    assert design.rollback_plan, "the architect always writes rollback steps"
    assert _gate(RequestState(request=request, design=design), registry)["Rollback plan defined"]
    bare = design.model_copy(update={"rollback_plan": []})
    checks = {
        g.item: g
        for g in routing.change_approval(RequestState(request=request, design=bare), registry)
    }
    assert not checks["Rollback plan defined"].passed
    assert checks["Rollback plan defined"].evidence == "0 rollback step(s)"
    assert not _gate(RequestState(request=request), registry)["Rollback plan defined"]


def test_every_gate_item_but_the_form_fails_without_its_evidence(
    make_request: RequestFactory, registry: Registry
) -> None:
    """Both directions for every item: with no design and no artifacts, only "documented"
    (the validated form itself) can pass in production."""
    bare = _gate(RequestState(request=make_request(environment="prod")), registry)
    assert bare == {item: item == "Change request documented" for item in bare}
    assert set(bare) == set(registry.gates.change_approval)


@pytest.mark.parametrize(
    "words",
    [
        "Fix the bug in the checkout application code that double-charges coupons",
        "Refactor the retry logic in the payments service code",
    ],
)
def test_application_code_changes_are_redirected_to_the_owning_division(
    words: str, make_request: RequestFactory, registry: Registry
) -> None:
    """Mutant: the application-code redirect rule removed (the team would take the work)."""
    request = make_request(request=words[:60], component="other", description=words)
    redirect = scope_redirect(request, registry)
    assert redirect is not None
    assert redirect.topic == "Application-level code changes"
    assert redirect.owner == "the owning domain division"


def test_infrastructure_work_that_mentions_code_is_not_redirected(
    make_request: RequestFactory, registry: Registry
) -> None:
    """The other direction: a form naming one of our components stays with the team."""
    request = make_request(description="A Redis cache; no application code changes needed.")
    assert scope_redirect(request, registry) is None
