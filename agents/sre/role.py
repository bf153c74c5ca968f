"""Site Reliability Engineer: SLOs, alert rules, dashboard, runbook and readiness gate.

``decide`` is pure: SLOs and error budgets from the environment (production uses the
registry's availability KPI), alert rules from the design's components and the earlier
decisions, and an honest production-readiness checklist. ``render`` writes
``monitoring/alerts.rules.yml``, ``monitoring/dashboard.json``, ``docs/runbook.md`` and
``docs/readiness.md`` through packaged templates.
"""

from __future__ import annotations

from typing import Any

from opsteam.agents.base import RoleContext
from opsteam.agents.sre import exporters, procedures, removal, routing, scrape, watch
from opsteam.agents.sre.alerts import checks as alert_checks
from opsteam.agents.sre.checks import Target
from opsteam.agents.sre.dashboard import dashboard

# Re-exported: callers and tests read the bundle paths from the role.
from opsteam.agents.sre.paths import (
    ALERTMANAGER_PATH as ALERTMANAGER_PATH,
)
from opsteam.agents.sre.paths import (
    DASHBOARD_PATH as DASHBOARD_PATH,
)
from opsteam.agents.sre.paths import (
    PLAN_PATH as PLAN_PATH,
)
from opsteam.agents.sre.paths import (
    READINESS_PATH as READINESS_PATH,
)
from opsteam.agents.sre.paths import (
    RULES_PATH as RULES_PATH,
)
from opsteam.agents.sre.paths import (
    RUNBOOK_PATH as RUNBOOK_PATH,
)
from opsteam.agents.sre.paths import (
    SCRAPE_PATH as SCRAPE_PATH,
)
from opsteam.agents.sre.paths import (
    TESTS_PATH as TESTS_PATH,
)
from opsteam.agents.sre.readiness import readiness
from opsteam.domain.decisions import (
    EscalationRow,
    ExporterSettings,
    ReliabilityPlan,
    RemovalWatch,
    Slo,
    WatchTarget,
)
from opsteam.domain.models import (
    Artifact,
    ArtifactKind,
    ChangeRequest,
    Environment,
)
from opsteam.domain.naming import (
    ALERTMANAGER_ADDRESS,
    k8s_labels,
    metric_selector,
    namespace,
    resource_prefix,
)
from opsteam.domain.registry import Registry, RoleSlug
from opsteam.domain.severity import RESPONSE_TIME, HandbookLevel, incident_severity
from opsteam.prompts import render as render_template

ROLE: RoleSlug = "site-reliability-engineer"

WINDOW_DAYS = 30
AVAILABILITY: dict[Environment, float] = {Environment.STAGING: 99.5, Environment.DEV: 99.0}
LATENCY: dict[Environment, float] = {
    Environment.PROD: 99.0,
    Environment.STAGING: 98.0,
    Environment.DEV: 95.0,
}
_OWNERS: tuple[tuple[frozenset[str], RoleSlug], ...] = (
    (frozenset({"server"}), "systems-administrator"),
    (frozenset({"load-balancer", "dns", "vpn", "firewall", "web"}), "network-engineer"),
    (frozenset({"database", "cache", "object-storage"}), "database-administrator"),
)


def error_budget_minutes(objective: float, window_days: int = WINDOW_DAYS) -> float:
    """Allowed bad minutes in the window, e.g. 99.9% over 30 days = 43.2 minutes."""
    return round((100 - objective) * window_days * 24 * 60 / 100, 2)


def availability_objective(request: ChangeRequest, registry: Registry) -> float:
    if request.environment is Environment.PROD:
        kpi = next((k for k in registry.kpis if k.key == "availability"), None)
        return kpi.target if kpi is not None else 99.9
    return AVAILABILITY[request.environment]


def slos(request: ChangeRequest, t: Target, objective: float) -> list[Slo]:
    """The service's objectives; ``objective``: its availability, decided once (the burn-rate
    alerts read the same figure)."""
    svc = request.service_name
    if t.web:
        sli = "share of HTTP requests not answered with a 5xx status"
    elif t.kubernetes:
        sli = "share of minutes with at least one available replica"
    else:
        sli = "share of minutes the service's exporters report it up"
    result = [
        Slo(
            name=f"{svc}-availability",
            sli=sli,
            objective=objective,
            window_days=WINDOW_DAYS,
            error_budget_minutes=error_budget_minutes(objective),
        )
    ]
    if t.web:
        latency = LATENCY[request.environment]
        result.append(
            Slo(
                name=f"{svc}-latency",
                sli="share of requests served under 500 ms",
                objective=latency,
                window_days=WINDOW_DAYS,
                error_budget_minutes=error_budget_minutes(latency),
            )
        )
    if (t.sql_engine is not None or t.cache) and (t.kubernetes or t.hosts):
        result.append(
            Slo(
                name=f"{svc}-datastore-availability",
                sli="share of minutes the datastore exporter reports it up",
                objective=objective,
                window_days=WINDOW_DAYS,
                error_budget_minutes=error_budget_minutes(objective),
            )
        )
    return result


def _watch(t: Target) -> WatchTarget:
    return WatchTarget(
        kubernetes=t.kubernetes,
        web=t.web,
        sql_engine=t.sql_engine,
        sql_port=t.sql_port,
        cache=t.cache,
        hosts=t.hosts,
        endpoint=t.endpoint,
        replicas=t.replicas,
    )


def decide(request: ChangeRequest, ctx: RoleContext) -> ReliabilityPlan:
    t = watch.target(request, ctx)
    removing = removal.is_removal(request)
    latency = LATENCY[request.environment]
    url = watch.runbook_url(request, ctx.inputs.runbook_base_url)
    objective = availability_objective(request, ctx.registry)
    checks = removal.watch_checks(t) if removing else alert_checks(t, latency, objective)
    alerts = watch.finalize(checks, t, ctx, url)
    comps = frozenset(ctx.design.components)
    if removing:
        group = removal.group_name(request)
        board = dashboard(t, latency, removal.watch_panels(t))
        removal_watch: RemovalWatch | None = RemovalWatch(
            window_minutes=removal.window_minutes(request),
            quiet_hours=removal.QUIET_HOURS,
            cleanup=removal.cleanup(t),
        )
    else:
        group = f"{request.service_name}-{request.environment.value}.rules"
        board, removal_watch = dashboard(t, latency), None
    exprs = [a.expr for a in alerts] + [p["targets"][0]["expr"] for p in board["panels"]]
    jobs = scrape.scrape_jobs(t, exprs)
    settings = scrape.exporter_settings(t, jobs)
    reader = ctx.automation.cloudwatch_reader if ctx.automation is not None else None
    receivers, routes = routing.decide(request, alerts)
    return ReliabilityPlan(
        slos=[] if removing else slos(request, t, objective),
        alerts=alerts,
        readiness=readiness(request, ctx, t, alerts, receivers),
        runbook_title=f"Runbook: {request.service_name} ({request.environment.value})",
        watch=_watch(t),
        rule_group=group,
        dashboard=board,
        alert_owners={a.name: watch.alert_owner(a.name) for a in alerts},
        escalation=escalation(ctx.registry, comps),
        removal=removal_watch,
        dashboards=[DASHBOARD_PATH],
        scrape_jobs=jobs,
        exporters=settings,
        exporter_deployments=exporters.deployments(t, scrape.job_kinds(t, jobs), settings, reader),
        runbook_url=url,
        alert_receivers=receivers,
        alert_routes=routes,
        restore=[] if removing else procedures.restore(t, ctx.database),
        rollback=[] if removing else procedures.rollback(request, ctx.database),
    )


def _owner_slugs(comps: frozenset[str]) -> list[RoleSlug]:
    return [slug for keys, slug in _OWNERS if comps & keys] or [s for _, s in _OWNERS]


def escalation(registry: Registry, comps: frozenset[str]) -> list[EscalationRow]:
    """The registry's escalation path with public names only."""
    rows = []
    for level in registry.escalation:
        if level.role == "component":
            names = [registry.role(s).name for s in _owner_slugs(comps)]
            who = "Component owner: " + " / ".join(names)
        elif level.role == "human":
            who = "Human escalation (division lead)"
        else:
            who = registry.role(level.role).name
        until = f"{level.until_minutes} min" if level.until_minutes is not None else "onwards"
        rows.append(
            EscalationRow(level=level.level, who=who, when=f"{level.from_minutes} min - {until}")
        )
    return rows


def _response(level: str) -> str:
    return RESPONSE_TIME[HandbookLevel(level)]


def render(plan: ReliabilityPlan, request: ChangeRequest, ctx: RoleContext) -> list[Artifact]:
    registry = ctx.registry
    alerts = [
        {
            "rule": a,
            "anchor": a.name.lower(),
            "for": a.for_,
            "response": _response(a.severity),
            "owner": registry.role(plan.alert_owners[a.name]).name,
            # Expected alert labels per case: the series' labels, the rule's own on top.
            "expected": [[{**extra, **a.labels} for extra in c.fires] for c in a.cases],
        }
        for a in plan.alerts
    ]
    context = {
        "plan": plan,
        "request": request,
        "alerts": alerts,
        "target": plan.watch,
        "namespace": namespace(request),
        "labels": k8s_labels(request),
        "selector": metric_selector(request),
        "owner": registry.role(ROLE).name,
        "runbook_path": RUNBOOK_PATH,
        "plan_path": PLAN_PATH,
        "escalation": plan.escalation,
        "has_database": ctx.database is not None,
        "has_network": ctx.network is not None,
        "monitoring_path": ctx.network.monitoring if ctx.network is not None else None,
        "has_servers": ctx.servers is not None,
        "passed": sum(c.passed for c in plan.readiness),
        "group": plan.rule_group,
        "dashboard": plan.dashboard,
        "window_minutes": plan.removal.window_minutes if plan.removal else 0,
        "quiet_hours": plan.removal.quiet_hours if plan.removal else 0,
        "cleanup": plan.removal.cleanup if plan.removal else [],
        "jobs": plan.scrape_jobs,
        "exporters": plan.exporters,
        "responses": {level.value: text for level, text in RESPONSE_TIME.items()},
        "incident": {level.value: incident_severity(level).value for level in HandbookLevel},
        "prefix": resource_prefix(request),
        "region": ctx.design.region,
        "alertmanager": ALERTMANAGER_ADDRESS,
    }
    removing = plan.removal is not None
    outputs: list[tuple[str, ArtifactKind, str]] = [
        (RULES_PATH, "prometheus-rules", "sre/alerts.rules.yml.j2"),
        (TESTS_PATH, "prometheus-tests", "sre/alerts.test.yml.j2"),
        (SCRAPE_PATH, "prometheus-config", "sre/prometheus.yml.j2"),
        (DASHBOARD_PATH, "grafana-dashboard", "sre/dashboard.json.j2"),
        (
            RUNBOOK_PATH,
            "markdown",
            "sre/removal-runbook.md.j2" if removing else "sre/runbook.md.j2",
        ),
        (READINESS_PATH, "markdown", "sre/readiness.md.j2"),
    ]
    if plan.alert_routes:
        outputs.append((ALERTMANAGER_PATH, "alertmanager-config", "sre/alertmanager.yml.j2"))
    outputs += [(e.path, "yaml", f"sre/{e.kind}-exporter.yml.j2") for e in plan.exporters]
    rendered = [
        Artifact(
            path=path,
            role=ROLE,
            kind=kind,
            content=render_template(name, **context, exporter=_exporter(plan, path)),
        )
        for path, kind, name in outputs
    ]
    return rendered + _exporter_deployments(plan, context)


def _exporter_deployments(plan: ReliabilityPlan, context: dict[str, Any]) -> list[Artifact]:
    """The exporters' Deployments and the kustomization that ships them with their settings."""
    if not plan.exporter_deployments:
        return []
    found = [
        Artifact(
            path=f"monitoring/exporters/{d.kind}-exporter.yaml",
            role=ROLE,
            kind="kubernetes",
            content=render_template("sre/exporter.yaml.j2", **context, deployment=d),
        )
        for d in plan.exporter_deployments
    ]
    for d in [d for d in plan.exporter_deployments if d.iam_role]:  # its role's ARN (IRSA)
        role = render_template("sre/exporter-role.yaml.j2", **context, deployment=d)
        path = f"monitoring/exporters/{d.kind}-exporter-role.yaml"
        found.append(Artifact(path=path, role=ROLE, kind="kubernetes", content=role))
    kustomization = render_template("sre/monitoring-kustomization.yaml.j2", **context)
    found.append(
        Artifact(
            path="monitoring/kustomization.yaml", role=ROLE, kind="yaml", content=kustomization
        )
    )
    return found


def _exporter(plan: ReliabilityPlan, path: str) -> ExporterSettings | None:
    return next((e for e in plan.exporters if e.path == path), None)
