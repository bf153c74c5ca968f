"""Data safety in the bundles the team produces: a restore point the rollback keeps, and a
database rollback the on-call can follow (review 2026-12-01, items 4 and 5)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from opsteam.agents.architect.plan import PLAN_PATH, assemble, render_plan
from opsteam.agents.architect.prices import load_prices
from opsteam.agents.automation import role as automation
from opsteam.agents.dba import role as dba
from opsteam.agents.sre import role as sre
from opsteam.domain.models import ChangeRequest
from opsteam.domain.registry import Registry
from opsteam.intake import parse_requests
from tests.team import decide_all

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TODAY = date(2026, 12, 1)


def example(name: str, index: int = 0) -> ChangeRequest:
    return parse_requests((EXAMPLES / name).read_bytes())[index]


def bundle(request: ChangeRequest, registry: Registry) -> dict[str, str]:
    """The files the graph writes for ``request``: specialists, automation, SRE, the plan."""
    ctx = decide_all(request, registry=registry)
    assert ctx.automation is not None
    files = automation.render(ctx.automation, request, ctx)
    files += sre.render(sre.decide(request, ctx), request, ctx)
    if ctx.database is not None:
        files += dba.render(dba.decide(request, ctx), request, ctx)
    plan = assemble(request, ctx, load_prices(), TODAY)
    files += render_plan(plan, request, ctx.design)
    return {a.path: a.content for a in files}


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n#", start + len(heading))
    return text[start : end if end > 0 else None]


def test_the_pre_change_snapshot_survives_a_destroy(registry: Registry) -> None:
    files = bundle(example("schema-migration.yaml"), registry)
    change = files["terraform/change.tf"]
    block = change[change.index('resource "aws_db_snapshot" "pre_change"') :]
    block = block[: block.index("\n}\n")]
    assert "prevent_destroy = true" in block


def test_the_schema_rollback_is_the_databases_not_a_terraform_reapply(
    registry: Registry,
) -> None:
    files = bundle(example("schema-migration.yaml"), registry)
    plan = _section(files[PLAN_PATH], "### Rollback Plan")
    runbook = _section(files["docs/runbook.md"], "## Rollback")
    database = _section(files["database/database-plan.md"], "Rollback")
    for text in (plan, runbook):
        assert "previous Terraform revision" not in text
        assert "previous infrastructure code revision" not in text
        assert "down-migration" in text and "pre-change snapshot" in text
        assert "point in time" in text
    assert "down-migration" in database
    # Application first, then the down-migration, then the restore: the DBA's order.
    for text in (plan, runbook):
        assert text.index("previous release") < text.index("down-migration")
        assert text.index("down-migration") < text.index("point in time")


def test_a_stateless_modify_keeps_the_generic_reapply(registry: Registry) -> None:
    files = bundle(example("dns-lb-change.yaml"), registry)
    assert "previous Terraform revision" in _section(files[PLAN_PATH], "### Rollback Plan")
    assert "previous infrastructure code revision" in _section(
        files["docs/runbook.md"], "## Rollback"
    )
