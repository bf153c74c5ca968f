"""One place that builds the architect's design for role tests (no routing involved)."""

from __future__ import annotations

from typing import Any

from opsteam.agents.base import RoleContext
from opsteam.domain.decisions import ArchitectDesign, RiskAssessment
from opsteam.domain.models import ChangeRequest
from opsteam.domain.registry import load_registry

ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]

BASE_DESIGN: dict[str, Any] = {
    "summary": "web service with a database",
    "components": ["web", "kubernetes", "load-balancer", "database"],
    "assignments": [],
    "checkpoints": [],
    "risk": RiskAssessment(level="medium", score=40, factors=[]),
    "rollback_plan": ["revert"],
    "maintenance_window": "not required (dev)",
    "cloud": "aws",
    "region": "us-east-1",
    "zones": ZONES,
    "engine": "postgres",
    "hosts_needed": False,
    "public_endpoint": True,
}


def design(**fields: Any) -> ArchitectDesign:
    """A design with sensible defaults; each test states only what it cares about."""
    return ArchitectDesign.model_validate({**BASE_DESIGN, **fields})


def role_ctx(
    design: ArchitectDesign | None = None, request: ChangeRequest | None = None, **fields: Any
) -> RoleContext:
    """A role's context; without a design, the architect's real design for ``request``."""
    registry = load_registry()
    if design is None:
        from opsteam.agents.architect import role as architect

        assert request is not None, "a context needs a design or the request to design for"
        design = architect.decide(request, registry)
    return RoleContext(registry=registry, design=design, **fields)
