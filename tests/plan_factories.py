"""Directly constructed designs for the plan and SRE tests (no routing involved)."""

from __future__ import annotations

from typing import Any

from opsteam.domain.decisions import ArchitectDesign, RiskAssessment
from opsteam.domain.models import ChangeRequest, CheckpointNeed
from tests.factories import design

WEB_REQUEST: dict[str, Any] = {
    "request": "Billing API",
    "type": "New",
    "component": "database",
    "description": "A web API for billing with a PostgreSQL database.",
    "justification": "Billing leaves the monolith | needs its own store",
    "timeline": "two weeks",
    "impact": "none to customers",
    "requester": "payments team",
    "environment": "prod",
    "service": "billing-api",
}


def make_request(**fields: Any) -> ChangeRequest:
    return ChangeRequest.model_validate({**WEB_REQUEST, **fields})


def make_design(**fields: Any) -> ArchitectDesign:
    return design(
        **{
            "summary": "Web API on Kubernetes with a PostgreSQL database",
            "components": ["web", "kubernetes", "database", "dns", "load-balancer", "monitoring"],
            "checkpoints": [
                CheckpointNeed(kind="architecture-change", reason="new database"),
                CheckpointNeed(kind="production-change", reason="production"),
            ],
            "risk": RiskAssessment(level="medium", score=45, factors=["production data"]),
            "rollback_plan": ["Revert the release", "Restore the pre-change snapshot"],
            "maintenance_window": "2026-12-01T02:00Z - 2026-12-01T04:00Z",
            **fields,
        }
    )
