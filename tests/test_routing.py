"""The request graph's routing rules, tested as plain functions (no graph compiled)."""

from __future__ import annotations

from datetime import UTC, datetime

from opsteam.agents.architect import role as architect
from opsteam.domain.models import (
    Artifact,
    DecisionRecord,
    ValidationResult,
    ValidationStatus,
)
from opsteam.domain.registry import Registry
from opsteam.graphs import routing
from opsteam.graphs.state import RequestState
from tests.conftest import RequestFactory
from tests.fakes import checkov_finding

AT = datetime(2026, 1, 1, tzinfo=UTC)


def _decision(kind: str, verdict: str, round_: int = 1) -> DecisionRecord:
    return DecisionRecord.model_validate(
        {"checkpoint": kind, "verdict": verdict, "by": "x", "at": AT, "round": round_}
    )


def _result(status: ValidationStatus, *check_ids: str) -> ValidationResult:
    findings = [checkov_finding(c, "aws_s3_bucket.data", "terraform/main.tf") for c in check_ids]
    return ValidationResult(
        path="terraform/main.tf", validator="checkov", status=status, findings=findings
    )


def test_review_rejection_wins_then_changes_and_only_this_round_counts() -> None:
    approve = _decision("architecture-change", "approve")
    assert routing.review([approve], 1) == "approved"
    assert routing.review([approve, _decision("cross-division", "changes")], 1) == "changes"
    both = [_decision("cross-division", "changes"), _decision("architecture-change", "reject")]
    assert routing.review(both, 1) == "rejected"
    assert routing.review([_decision("architecture-change", "reject", 1)], 2) == "approved"


def test_failures_and_bounded_retries() -> None:
    failed = _result(ValidationStatus.FAILED, "CKV_AWS_1")
    missing = _result(ValidationStatus.NOT_INSTALLED)
    assert [(f.check_id, f.file) for f in routing.failures([failed, missing])] == [
        ("CKV_AWS_1", "terraform/main.tf")
    ]
    [unnamed] = routing.failures([_result(ValidationStatus.FAILED)])
    assert (unnamed.check_id, unnamed.message) == ("checkov", "checkov failed")
    assert routing.should_retry([failed], 0) and routing.should_retry([failed], 1)
    assert not routing.should_retry([failed], routing.MAX_FIX_ATTEMPTS)
    assert not routing.should_retry([missing], 0)  # unverified is reported, not "fixed"
    assert routing.tally([failed, missing, missing]) == "1 failed, 2 not-installed"


def test_specialists_and_design_checkpoints_follow_the_design(
    make_request: RequestFactory, registry: Registry
) -> None:
    req = make_request(
        environment="prod",
        component="database",
        engine="postgres",
        description="Add column to orders; customers see it.",
        type="Modify",
    )
    design = architect.decide(req, registry)
    assert routing.specialists(design, registry) == ["database-administrator"]  # in place
    kinds = [c.kind for c in routing.design_checkpoints(design)]
    assert kinds == ["customer-schema-change"]  # production approval comes at the end
    state = RequestState(request=req, design=design)
    assert routing.needs_production_approval(state)


def test_change_gate_checks_each_item_from_evidence(
    make_request: RequestFactory, registry: Registry
) -> None:
    req = make_request(environment="prod")
    design = architect.decide(req, registry)
    bare = {
        g.item: g.passed
        for g in routing.change_approval(RequestState(request=req, design=design), registry)
    }
    assert bare["Risk assessment complete"] and bare["Rollback plan defined"]
    assert not bare["Maintenance window scheduled"]
    assert not bare["Stakeholders notified"] and not bare["Monitoring prepared"]

    notice = Artifact(
        path="docs/maintenance-notice.txt",
        role="site-reliability-engineer",
        kind="markdown",
        content="MAINTENANCE: Scheduled",
    )
    rules = Artifact(
        path="monitoring/alerts.rules.yml",
        role="site-reliability-engineer",
        kind="prometheus-rules",
        content="groups: []",
    )
    dev = RequestState(
        request=make_request(),
        design=architect.decide(make_request(), registry),
    )
    dev_gate = {g.item: g.passed for g in routing.change_approval(dev, registry)}
    assert dev_gate["Maintenance window scheduled"] and dev_gate["Stakeholders notified"]
    with_evidence = RequestState(
        request=req,
        design=design,
        artifacts={"notifications": [notice], "site-reliability-engineer": [rules]},
    )
    gate = {g.item: g.passed for g in routing.change_approval(with_evidence, registry)}
    assert gate["Stakeholders notified"] and not gate["Monitoring prepared"]  # no SRE plan yet
