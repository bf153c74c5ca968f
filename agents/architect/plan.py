"""The architect's infrastructure plan: every section of the team's plan template.

``assemble`` is pure: it runs after the specialists decided and reads their decisions (the
request, the decisions in the context, a dated price table and the run's date in; a typed
plan out). ``render_plan`` turns the plan into ``plan/infrastructure-plan.md`` and
``plan/log-entry.md`` through packaged templates. The date is the run's own (kept in the
graph state), so a run's documents are the same whenever they are written again.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from opsteam.agents.architect import diagram as architecture
from opsteam.agents.architect import sections
from opsteam.agents.architect.costs import Footprint, estimate, footprint, totals_by_category
from opsteam.agents.architect.prices import PLATFORMS, CloudPrices, PriceTable
from opsteam.agents.base import RoleContext
from opsteam.domain.decisions import ArchitectDesign
from opsteam.domain.decisions.plan import (
    CategoryTotal,
    CostEstimate,
    Criterion,
    InfrastructurePlan,
    OneTimeCost,
    PlatformKey,
    PlatformOption,
    Requirement,
    TrafficTier,
    Vendor,
)
from opsteam.domain.models import Artifact, ChangeRequest, ChangeType, Size
from opsteam.domain.registry import RoleSlug
from opsteam.prompts import render

ROLE: RoleSlug = "infrastructure-architect"
PLAN_PATH = "plan/infrastructure-plan.md"
LOG_PATH = "plan/log-entry.md"
DIAGRAM_PATH = "plan/architecture.svg"
_TIERS: tuple[tuple[str, str, str, Size], ...] = (
    ("Launch", "<1K", "Minimal", Size.SMALL),
    ("Growth", "1K-10K", "Add capacity", Size.MEDIUM),
    ("Scale", "10K-100K", "Architecture review", Size.LARGE),
    ("Enterprise", "100K+", "Significant investment", Size.XLARGE),
)
_CLOUDS: dict[str, PlatformKey] = {"aws": "aws", "gcp": "gcp", "azure": "azure"}
_STAGE: dict[Size, Literal["Startup", "Growth", "Scale"]] = {
    Size.SMALL: "Startup",
    Size.MEDIUM: "Growth",
    Size.LARGE: "Scale",
    Size.XLARGE: "Scale",
}


def _limitation(request: ChangeRequest, design: ArchitectDesign, cloud: CloudPrices) -> str:
    comps = set(design.components)
    missing = [c for c in request.compliance if c not in cloud.compliance]
    if missing:
        return f"no coverage for {', '.join(missing)}"
    if "kubernetes" in comps and not cloud.suitable_for_kubernetes:
        return "no managed Kubernetes"
    if comps & {"vpn", "firewall", "server"} and not cloud.suitable_for_private_networking:
        return "no private networking, VPN or host control"
    return ""


def platform_options(
    request: ChangeRequest, design: ArchitectDesign, prices: PriceTable, fp: Footprint
) -> list[PlatformOption]:
    options = []
    for key in PLATFORMS:
        cloud = prices.cloud(key)
        cost = estimate(fp, prices, key)
        limitation = _limitation(request, design, cloud)
        options.append(
            PlatformOption(
                key=key,
                label=cloud.label,
                pros=cloud.pros,
                cons=cloud.cons,
                low=cost.low,
                high=cost.high,
                suitable=not limitation,
                limitation=limitation,
            )
        )
    return options


def choose_platform(
    request: ChangeRequest, design: ArchitectDesign, options: list[PlatformOption]
) -> tuple[PlatformKey, list[str]]:
    """The requester's cloud if given, else the design's, else the cheapest suitable one."""
    by_key = {o.key: o for o in options}
    suitable = [o for o in options if o.suitable] or options
    cheapest = min(suitable, key=lambda o: (o.low, o.high, PLATFORMS.index(o.key)))
    if request.cloud is not None:
        key = _CLOUDS[request.cloud.value]
        rationale = [f"The request specifies {by_key[key].label}; the plan honours it."]
    elif design.cloud in _CLOUDS:
        key = _CLOUDS[design.cloud]
        rationale = [f"The architecture design targets {by_key[key].label} ({design.region})."]
    else:
        key = cheapest.key
        rationale = ["Lowest estimated monthly cost among the suitable options."]
    chosen = by_key[key]
    if chosen.key == cheapest.key:
        rationale.append(
            f"At ${chosen.low:,} - ${chosen.high:,} per month it is the cheapest suitable option."
        )
    else:
        rationale.append(
            f"Estimated ${chosen.low:,} - ${chosen.high:,} per month against "
            f"${cheapest.low:,} - ${cheapest.high:,} for {cheapest.label}."
        )
    if not chosen.suitable:
        rationale.append(
            f"Warning: {chosen.label} has {chosen.limitation}; escalate before committing."
        )
    rationale += [f"{o.label} was not chosen: {o.limitation}." for o in options if not o.suitable]
    if request.compliance:
        rationale.append(
            f"{chosen.label} offers controls for "
            f"{', '.join(request.compliance)} (see Compliance Considerations)."
        )
    return key, rationale


def _current_tier(request: ChangeRequest) -> Size:
    users = request.expected_users
    if users is None:
        return request.size
    for limit, size in ((1_000, Size.SMALL), (10_000, Size.MEDIUM), (100_000, Size.LARGE)):
        if users < limit:
            return size
    return Size.XLARGE


def _tiers(
    request: ChangeRequest, ctx: RoleContext, prices: PriceTable, key: PlatformKey
) -> list[TrafficTier]:
    current = _current_tier(request)
    tiers = []
    for name, users, changes, size in _TIERS:
        cost = estimate(footprint(request, ctx, size), prices, key)
        tiers.append(
            TrafficTier(
                tier=name,
                users=users,
                changes=changes,
                low=cost.low,
                high=cost.high,
                current=size is current,
            )
        )
    return tiers


def _one_time(
    request: ChangeRequest, design: ArchitectDesign, prices: PriceTable
) -> list[OneTimeCost]:
    setup_hours = 8 * max(1, len(design.components))
    rate = prices.labor_hourly
    items = [
        OneTimeCost(
            item="Setup",
            cost=round(setup_hours * rate),
            notes=f"{setup_hours} engineer hours at ${rate:g}/h",
        )
    ]
    if request.type is not ChangeType.NEW:
        hours = 24 if request.type is ChangeType.MODIFY else 16
        label = "Migration" if request.type is ChangeType.MODIFY else "Decommission"
        items.append(
            OneTimeCost(
                item=label, cost=round(hours * rate), notes=f"{hours} engineer hours at ${rate:g}/h"
            )
        )
    return items


def _vendors(cloud: CloudPrices, as_of: date) -> list[Vendor]:
    review = (as_of + timedelta(days=90)).isoformat()
    return [
        Vendor(
            category="Cloud",
            vendor=cloud.label,
            contract="On-demand (pay as you go)",
            renewal=f"Price review by {review}",
        ),
        Vendor(
            category="DNS",
            vendor=cloud.services.dns,
            contract="Included with account",
            renewal=f"Price review by {review}",
        ),
        Vendor(
            category="Monitoring",
            vendor="Prometheus + Grafana (open source)",
            contract="None (self-hosted)",
            renewal="n/a",
        ),
    ]


def _criteria(request: ChangeRequest) -> list[Criterion]:
    weights = (20, 25, 15, 15, 25) if request.compliance else (25, 25, 20, 15, 15)
    names = ("Cost", "Reliability (SLA)", "Features", "Support", "Security/Compliance")
    return [Criterion(criterion=n, weight=w) for n, w in zip(names, weights, strict=True)]


def _tooling(ctx: RoleContext) -> list[Requirement]:
    tools = [
        Requirement(name="Monitoring", detail="Prometheus + Grafana (self-hosted)"),
        Requirement(name="Infrastructure as code", detail="Terraform"),
    ]
    if ctx.automation is not None and ctx.automation.playbook is not None:
        tools.append(Requirement(name="Configuration management", detail="Ansible"))
    tools += [
        Requirement(name="CI/CD", detail="Out of scope: Engineering Foundation"),
        Requirement(
            name="Productivity and communication suites",
            detail="Not in scope of this change request",
        ),
    ]
    return tools


def _summary(
    request: ChangeRequest, design: ArchitectDesign, label: str, cost: CostEstimate, as_of: str
) -> list[str]:
    return [
        f"{request.type.value} {request.component.value} change for {request.service_name} "
        f"({request.environment.value}): {design.summary}",
        f"Recommended platform {label} in {design.region} "
        f"({', '.join(design.zones) or 'single zone'}), estimated ${cost.low:,} - "
        f"${cost.high:,} per month at prices dated {as_of}.",
        f"Risk {design.risk.level} ({design.risk.score}/100); "
        f"{len(design.components)} components planned: {', '.join(design.components)}.",
    ]


def assemble(
    request: ChangeRequest, ctx: RoleContext, prices: PriceTable, today: date
) -> InfrastructurePlan:
    """The full plan from the specialists' decisions in ``ctx``; ``today`` is the run's date."""
    design = ctx.design
    fp = footprint(request, ctx)
    options = platform_options(request, design, prices, fp)
    key, rationale = choose_platform(request, design, options)
    cloud = prices.cloud(key)
    cost = estimate(fp, prices, key)
    dated = today.isoformat()
    totals = totals_by_category(cost.items)
    escalations = [ctx.registry.checkpoint(c.kind).name for c in design.checkpoints]
    phases, timeline_note = sections.roadmap(request, ctx, today)
    waiting = ", awaiting checkpoint approval" if design.checkpoints else ""
    return InfrastructurePlan(
        title=request.request,
        generated=dated,
        stage=_STAGE[_current_tier(request)],
        executive_summary=_summary(request, design, cloud.label, cost, prices.as_of.isoformat()),
        current_state=sections.current_state(request, ctx, cloud),
        pain_points=sections.pain_points(request, design),
        options=options,
        platform=key,
        platform_label=cloud.label,
        rationale=rationale,
        diagram=architecture.diagram(ctx),
        estimate=cost,
        category_totals=[
            CategoryTotal(category=c, low=lo, high=hi) for c, (lo, hi) in totals.items()
        ],
        one_time=_one_time(request, design, prices),
        tiers=_tiers(request, ctx, prices, key),
        autoscaling=sections.autoscaling(ctx),
        dr_targets=sections.dr_targets(request, ctx),
        backups=sections.backups(ctx),
        recovery_steps=sections.recovery_steps(request, ctx),
        rollback_plan=sections.rollback(request, ctx),
        security=sections.security(
            request,
            design,
            cloud,
            ctx.network.load_balancer if ctx.network else None,
            ctx.automation.stack.cluster if ctx.automation and ctx.automation.stack else None,
        ),
        compliance=sections.compliance(request, design, cloud.label),
        tooling=_tooling(ctx),
        roadmap=phases,
        timeline_note=timeline_note,
        vendors=_vendors(cloud, today),
        criteria=_criteria(request),
        phase=f"Planning (design revision {design.revision}{waiting})",
        escalations=escalations,
        components_planned=len(design.components),
        price_as_of=prices.as_of.isoformat(),
        price_source=prices.source,
        price_stale=prices.stale(today),
    )


def render_plan(
    plan: InfrastructurePlan, request: ChangeRequest, design: ArchitectDesign
) -> list[Artifact]:
    """``plan/infrastructure-plan.md`` and ``plan/log-entry.md``."""
    context = {"plan": plan, "request": request, "design": design}
    return [
        Artifact(path=path, role=ROLE, kind="markdown", content=render(name, **context))
        for path, name in (
            (PLAN_PATH, "architect/infrastructure-plan.md.j2"),
            (LOG_PATH, "architect/log-entry.md.j2"),
        )
    ]


def diagram_source(plan: InfrastructurePlan) -> str:
    """The architecture diagram as Mermaid source (the plan embeds the same text)."""
    return render("architect/diagram.mmd.j2", plan=plan)


def diagram_artifact(svg: str) -> Artifact:
    """The diagram rendered to SVG, when a renderer was available."""
    return Artifact(path=DIAGRAM_PATH, role=ROLE, kind="svg", content=svg)
