"""The whole team's decisions for one request, without compiling a graph (pure roles only)."""

from __future__ import annotations

from opsteam.agents.architect import role as architect
from opsteam.agents.architect.assign import assignments_for
from opsteam.agents.automation import role as automation
from opsteam.agents.base import RoleContext
from opsteam.agents.dba import role as dba
from opsteam.agents.network import role as network
from opsteam.agents.sysadmin import role as sysadmin
from opsteam.application.results import RunResult
from opsteam.application.service import Opsteam
from opsteam.domain.decisions import ArchitectDesign
from opsteam.domain.models import ChangeRequest
from opsteam.domain.registry import Registry, load_registry
from opsteam.intake.intent import understand


def decide_all(
    request: ChangeRequest,
    design: ArchitectDesign | None = None,
    registry: Registry | None = None,
) -> RoleContext:
    """Architect, then the specialists it assigned, then the automation engineer."""
    registry = registry or load_registry()
    design = design or architect.decide(request, registry)
    if not design.assignments:  # a hand-made test design: assign as the architect would
        intent = understand(request, registry)
        assigned = assignments_for(request, intent, design.components, registry)
        design = design.model_copy(update={"assignments": assigned})
    ctx = RoleContext(registry=registry, design=design)
    assigned = {a.role for a in design.assignments}
    servers = sysadmin.decide(request, ctx) if "systems-administrator" in assigned else None
    net = network.decide(request, ctx) if "network-engineer" in assigned else None
    data = dba.decide(request, ctx) if "database-administrator" in assigned else None
    ctx = RoleContext(
        registry=registry,
        design=design,
        servers=servers,
        network=net,
        database=data.database if data else None,
        storage=data.storage if data else None,
    )
    return RoleContext(
        registry=registry,
        design=design,
        servers=servers,
        network=net,
        database=ctx.database,
        storage=ctx.storage,
        automation=automation.decide(request, ctx),
    )


def past_design_review(team: Opsteam, result: RunResult, by: str = "design reviewer") -> RunResult:
    """Approve the design checkpoints a result waits at (a new data store asks for an
    architecture review in every environment); the production gate is left to the test."""
    design = {"architecture-change", "external-integration", "customer-schema-change",
              "cross-division"}  # fmt: skip
    while result.status == "awaiting-approval" and all(p.id in design for p in result.pending):
        result = team.decide(result.thread_id, "approve", all_pending=True, by=by)
    return result
