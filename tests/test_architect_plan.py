"""The architect's infrastructure plan: seed sections, dated prices, honest cost arithmetic."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from opsteam.agents.architect.plan import LOG_PATH, PLAN_PATH, assemble, render_plan
from opsteam.agents.architect.prices import (
    PriceTable,
    PriceTableError,
    default_prices_path,
    load_prices,
)
from opsteam.domain.decisions import ArchitectDesign
from opsteam.domain.decisions.plan import InfrastructurePlan
from opsteam.domain.models import ChangeRequest
from opsteam.domain.registry import Registry
from tests.plan_factories import make_design, make_request
from tests.team import decide_all

TODAY = date(2026, 1, 15)

# Every heading of the seed infrastructure plan template, in order.
SEED_SECTIONS = [
    "# IT Infrastructure Plan:",
    "Generated:",
    "Stage:",
    "## Executive Summary",
    "## Current State Assessment",
    "### Existing Infrastructure",
    "### Pain Points",
    "## Recommended Architecture",
    "### Cloud Platform",
    "**Recommendation:**",
    "**Rationale:**",
    "### Architecture Diagram",
    "## Component Specifications",
    "### Compute",
    "### Database",
    "### Storage",
    "### Networking",
    "## Business Applications",
    "## Cost Summary",
    "### Monthly Recurring",
    "### One-Time Costs",
    "## Scalability Plan",
    "### Traffic Tiers",
    "### Auto-Scaling Configuration",
    "## Disaster Recovery",
    "### RTO/RPO Targets",
    "### Backup Strategy",
    "### Recovery Procedures",
    "## Security Requirements",
    "## Compliance Considerations",
    "## Implementation Roadmap",
    "## Vendor Selection",
    "### Primary Vendors",
    "### Evaluation Criteria",
]


@pytest.fixture(scope="module")
def prices() -> PriceTable:
    return load_prices()


def _plan(
    prices: PriceTable,
    *,
    registry: Registry | None = None,
    design: ArchitectDesign | None = None,
    **fields: Any,
) -> tuple[InfrastructurePlan, ChangeRequest, ArchitectDesign]:
    request = make_request(**fields)
    ctx = decide_all(request, design or make_design(), registry)
    return assemble(request, ctx, prices, TODAY), request, ctx.design


def _docs(prices: PriceTable, registry: Registry, **fields: Any) -> dict[str, str]:
    plan, request, design = _plan(prices, registry=registry, **fields)
    return {a.path: a.content for a in render_plan(plan, request, design)}


def test_all_seed_sections_present_in_order(prices: PriceTable, registry: Registry) -> None:
    text = _docs(prices, registry)[PLAN_PATH]
    positions = [text.find(section) for section in SEED_SECTIONS]
    assert -1 not in positions, [s for s, p in zip(SEED_SECTIONS, positions, strict=True) if p < 0]
    assert positions == sorted(positions)
    for option in ("| AWS |", "| GCP |", "| Azure |", "| Simple hosting (PaaS/VPS) |"):
        assert option in text


def test_prices_are_dated_and_the_document_carries_the_runs_date(
    prices: PriceTable, registry: Registry
) -> None:
    assert prices.as_of.isoformat() == "2025-10-01"
    assert "list prices" in prices.source
    docs = _docs(prices, registry)
    assert f"Generated: {TODAY.isoformat()} (prices as of 2025-10-01)" in docs[PLAN_PATH]
    assert docs[LOG_PATH].startswith(f"## Infrastructure Log: {TODAY.isoformat()}\n")
    assert "past its review period" not in docs[PLAN_PATH]
    later = assemble(make_request(), decide_all(make_request()), prices, date(2026, 12, 1))
    assert (
        later.price_stale
        and "past its review period"
        in render_plan(later, make_request(), decide_all(make_request()).design)[0].content
    )


def test_output_is_deterministic(prices: PriceTable, registry: Registry) -> None:
    assert _docs(prices, registry) == _docs(prices, registry)
    plan_a, _, _ = _plan(prices, registry=registry)
    plan_b, _, _ = _plan(prices, registry=registry)
    assert plan_a.model_dump(mode="json") == plan_b.model_dump(mode="json")


@pytest.mark.parametrize(
    ("field", "smaller", "larger"),
    [("size", "small", "large"), ("environment", "dev", "prod"), ("size", "medium", "xlarge")],
)
def test_costs_grow_with_size_and_environment(
    prices: PriceTable, field: str, smaller: str, larger: str
) -> None:
    small: dict[str, Any] = {field: smaller}
    large: dict[str, Any] = {field: larger}
    low_plan, _, _ = _plan(prices, **small)
    high_plan, _, _ = _plan(prices, **large)
    assert low_plan.monthly_low < high_plan.monthly_low
    assert low_plan.monthly_high < high_plan.monthly_high


def test_costs_change_with_cloud_and_request_cloud_is_honoured(prices: PriceTable) -> None:
    by_cloud = {c: _plan(prices, cloud=c)[0] for c in ("aws", "gcp", "azure")}
    assert {p.platform for p in by_cloud.values()} == {"aws", "gcp", "azure"}
    assert len({(p.monthly_low, p.monthly_high) for p in by_cloud.values()}) == 3
    assert "The request specifies GCP" in by_cloud["gcp"].rationale[0]


def test_cheapest_suitable_platform_when_nobody_chose(prices: PriceTable) -> None:
    plan, _, _ = _plan(prices, design=make_design(cloud="unspecified"))
    suitable = [o for o in plan.options if o.suitable]
    assert plan.platform == min(suitable, key=lambda o: (o.low, o.high)).key
    simple = next(o for o in plan.options if o.key == "simple")
    assert not simple.suitable  # the design runs Kubernetes


def test_low_never_exceeds_high_and_totals_add_up(prices: PriceTable) -> None:
    for size in ("small", "medium", "large", "xlarge"):
        plan, _, _ = _plan(prices, size=size)
        assert all(o.low <= o.high for o in plan.options)
        assert all(i.low <= i.high for i in plan.estimate.items)
        assert plan.monthly_low == sum(i.low for i in plan.estimate.items)
        assert plan.monthly_low == sum(c.low for c in plan.category_totals)
        assert plan.monthly_high == sum(c.high for c in plan.category_totals)
        assert [t.low for t in plan.tiers] == sorted(t.low for t in plan.tiers)
        assert sum(c.weight for c in plan.criteria) == 100


def test_log_entry_format(prices: PriceTable, registry: Registry) -> None:
    plan, request, design = _plan(prices, registry=registry)
    log = render_plan(plan, request, design)[1].content
    assert "Platform selected: AWS\n" in log
    assert f"Monthly cost estimate: ${plan.monthly_low:,} - ${plan.monthly_high:,}\n" in log
    assert f"Components planned: {len(design.components)}\n" in log
    assert "Phase: Planning (design revision 1, awaiting checkpoint approval)" in log
    assert "Escalations: Architecture-changing proposal, Production change approval" in log


def test_dr_targets_from_request_else_handbook_defaults(prices: PriceTable) -> None:
    default, _, _ = _plan(prices)
    db = next(t for t in default.dr_targets if t.system == "postgres data")
    assert (db.rto, db.rpo) == ("30 min", "5 min")
    # The plan states what the DBA's backups achieve, not what was asked for.
    asked, request, design = _plan(prices, environment="staging", rto_minutes=120, rpo_minutes=1440)
    ctx = decide_all(request, design)
    assert ctx.database is not None
    db = next(t for t in asked.dr_targets if t.system == "postgres data")
    assert (db.rto, db.rpo) == ("2 h", f"{ctx.database.achieved_rpo_minutes} min")
    assert asked.backups[0].frequency == ctx.database.backup_schedule
    assert asked.backups[0].retention == f"{ctx.database.retention_days} days of automated backups"


def test_scaling_thresholds_and_limits_by_environment(prices: PriceTable) -> None:
    plan, _, _ = _plan(prices, environment="staging")
    cpu = plan.autoscaling[0]
    assert (cpu.scale_up, cpu.scale_down) == (">70% for 5 min", "<30% for 10 min")
    # The cluster this design creates runs metrics-server as an add-on: the HPA reads it.
    assert cpu.limits == (
        "2-6 pods (HorizontalPodAutoscaler; CPU from metrics-server, an EKS add-on of this stack)"
    )
    # A database-only design has no autoscaled compute, and the plan says so.
    data_only, _, _ = _plan(prices, design=make_design(components=["database", "monitoring"]))
    assert [r.metric for r in data_only.autoscaling] == ["Not applicable"]


def test_compliance_notes(prices: PriceTable) -> None:
    none, _, _ = _plan(prices)
    assert [c.name for c in none.compliance] == ["None declared"]
    regulated, _, _ = _plan(prices, compliance=["hipaa", "gdpr"])
    assert [c.name for c in regulated.compliance] == ["HIPAA", "GDPR"]
    assert "BAA with AWS" in regulated.compliance[0].detail


def test_current_state_reflects_existing_ranges_and_change_type(prices: PriceTable) -> None:
    plan, _, _ = _plan(prices, type="Modify", existing_cidrs=["10.20.0.0/16"])
    rows = {r.component: r for r in plan.current_state}
    assert rows["Network ranges"].current == "10.20.0.0/16"
    assert rows["Hosting"].status == "In service, to be changed"
    assert any(o.item == "Migration" for o in plan.one_time)


def test_user_text_is_escaped_and_no_internal_ids(prices: PriceTable, registry: Registry) -> None:
    docs = _docs(prices, registry, justification="Leave the monolith | <b>now</b>")
    assert "Leave the monolith \\| &lt;b&gt;now&lt;/b&gt;" in docs[PLAN_PATH]
    for text in docs.values():
        assert not re.search(r"INF\s*-?\s*\d{3}", text, re.IGNORECASE)


def test_plan_fits_architect_design_plan_field(prices: PriceTable) -> None:
    plan, _, design = _plan(prices)
    stored = design.model_copy(update={"plan": plan.model_dump(mode="json")})
    assert InfrastructurePlan.model_validate(stored.plan) == plan


def test_packaged_price_table_path_is_inside_the_package() -> None:
    assert default_prices_path().parts[-2:] == ("data", "prices.yaml")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda t: t.replace("as_of: 2025-10-01", "as_of: [broken"), "malformed YAML at line"),
        (lambda t: t.replace("as_of: 2025-10-01\n", ""), "as_of: required field is missing"),
        (lambda t: t.replace("hourly: 0.0416}", "hourly: -1}", 1), "clouds.aws.compute.small"),
        (lambda t: "just text", "expected a mapping"),
    ],
)
def test_broken_price_table_gives_clear_error(
    tmp_path: Path, mutate: Callable[[str], str], message: str
) -> None:
    broken = tmp_path / "prices.yaml"
    broken.write_text(mutate(default_prices_path().read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(PriceTableError) as err:
        load_prices(broken)
    assert message in " ".join(err.value.lines())
    assert str(broken) in " ".join(err.value.lines())


def test_missing_price_table_gives_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PriceTableError, match="price table not found"):
        load_prices(tmp_path / "absent.yaml")
