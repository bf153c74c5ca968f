"""Site Reliability Engineer: SLOs, alert rules, dashboard, runbook and readiness gate.

``decide`` is pure: SLOs and error budgets from the environment (production uses the
registry's availability KPI), alert rules from the design's components and the earlier
decisions, and an honest production-readiness checklist. ``render`` writes
``monitoring/alerts.rules.yml``, ``monitoring/dashboard.json``, ``docs/runbook.md`` and
``docs/readiness.md`` through packaged templates.
"""

from __future__ import annotations

from collections.abc import Mapping

from opsteam.agents.base import RoleContext
from opsteam.agents.sre import removal
from opsteam.agents.sre.alerts import FOR, RESPONSE, Target, alert_rules
from opsteam.agents.sre.dashboard import dashboard
from opsteam.domain.decisions import (
    AlertRule,
    EscalationRow,
    ReliabilityPlan,
    RemovalWatch,
    Slo,
    WatchTarget,
)
from opsteam.domain.models import (
    Artifact,
    ArtifactKind,
    ChangeRequest,
    Engine,
    Environment,
    GateCheck,
)
from opsteam.domain.naming import engine_port, k8s_labels, metric_selector, namespace
from opsteam.domain.registry import Registry, RoleSlug
from opsteam.prompts import render as render_template

ROLE: RoleSlug = "site-reliability-engineer"
RULES_PATH = "monitoring/alerts.rules.yml"
DASHBOARD_PATH = "monitoring/dashboard.json"
RUNBOOK_PATH = "docs/runbook.md"
READINESS_PATH = "docs/readiness.md"
PLAN_PATH = "plan/infrastructure-plan.md"
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


def target(request: ChangeRequest, ctx: RoleContext) -> Target:
    """What to watch: the design's components, the DBA's engine/port, the hosts."""
    design = ctx.design
    comps = frozenset(design.components)
    database = ctx.database
    engine = database.engine if database is not None else design.engine
    sql_engine = engine if "database" in comps and engine not in (None, Engine.REDIS) else None
    port = None
    if sql_engine is not None:
        port = database.port if database is not None else engine_port(sql_engine)
    hosts = (
        "server" in comps
        or design.hosts_needed
        or (ctx.servers is not None and any(h.count > 0 for h in ctx.servers.hosts))
    )
    return Target(
        request=request,
        kubernetes=bool(comps & {"web", "kubernetes"}),
        web="web" in comps,
        sql_engine=sql_engine,
        sql_port=port,
        cache="cache" in comps or ("database" in comps and engine is Engine.REDIS),
        hosts=hosts,
        endpoint=bool(comps & {"load-balancer", "dns"}) or design.public_endpoint,
        replicas=database is not None and database.read_replicas > 0,
    )


def slos(request: ChangeRequest, ctx: RoleContext, t: Target) -> list[Slo]:
    svc = request.service_name
    objective = availability_objective(request, ctx.registry)
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


def _evidence(ctx: RoleContext) -> Mapping[str, str]:
    given = ctx.extra.get("readiness_evidence")
    if not isinstance(given, Mapping):
        return {}
    return {str(k).strip().lower(): str(v) for k, v in given.items() if v}


def _hardening(request: ChangeRequest, ctx: RoleContext, t: Target) -> tuple[bool, str]:
    servers = ctx.servers
    if servers is not None and servers.hardening:
        return True, f"{len(servers.hardening)} hardening controls in servers/baseline.md"
    if not t.hosts:
        return True, "no servers in this design; host hardening not applicable"
    return False, "servers are planned but no hardening baseline was produced"


def _removal_known(request: ChangeRequest, alerts: list[AlertRule]) -> dict[str, tuple[bool, str]]:
    """Readiness evidence for a Remove: the watch of the removal, not the removed service."""
    svc, minutes = request.service_name, removal.window_minutes(request)
    return {
        "infrastructure provisioned": (
            False,
            "removal code prepared (decommission procedure), not yet applied "
            "(applied after change approval)",
        ),
        "security hardening applied": (
            True,
            f"not applicable: nothing is created; access to {svc} is revoked by the "
            "decommission procedure",
        ),
        "monitoring configured": (
            True,
            f"removal-watch dashboard {DASHBOARD_PATH}: targets up and traffic for {svc}",
        ),
        "alerts defined": (
            bool(alerts),
            f"{len(alerts)} removal-watch rules in {RULES_PATH} (P2, fire if {svc} is still "
            f"up or serving {minutes} min into the removal); no SLO alerts for a removed service",
        ),
        "runbooks created": (
            True,
            f"{RUNBOOK_PATH}: removal-watch response and when to delete {svc}'s alert rules, "
            "dashboard and on-call route",
        ),
        "dr tested": (False, "final snapshot not yet taken; restore path is the rollback"),
    }


def readiness(
    request: ChangeRequest, ctx: RoleContext, t: Target, alerts: list[AlertRule]
) -> list[GateCheck]:
    """The registry's production-readiness items, each with honest evidence."""
    given = _evidence(ctx)
    known = (
        _removal_known(request, alerts)
        if removal.is_removal(request)
        else _service_known(request, ctx, t, alerts)
    )
    checks = []
    for item in ctx.registry.gates.production_readiness:
        key = item.strip().lower()
        if key in given:
            checks.append(GateCheck(item=item, passed=True, evidence=given[key]))
            continue
        passed, evidence = known.get(key, (False, "no evidence available; confirm manually"))
        checks.append(GateCheck(item=item, passed=passed, evidence=evidence))
    return checks


def _service_known(
    request: ChangeRequest, ctx: RoleContext, t: Target, alerts: list[AlertRule]
) -> dict[str, tuple[bool, str]]:
    hardened, hardening_evidence = _hardening(request, ctx, t)
    counts = ", ".join(f"{s}: {sum(a.severity == s for a in alerts)}" for s in RESPONSE)
    return {
        "infrastructure provisioned": (
            False,
            "infrastructure code prepared, not yet applied "
            "(applied after production-change approval)",
        ),
        "security hardening applied": (hardened, hardening_evidence),
        "monitoring configured": (
            True,
            f"{DASHBOARD_PATH} and scrape selectors for namespace {namespace(request)}",
        ),
        "alerts defined": (bool(alerts), f"{len(alerts)} rules in {RULES_PATH} ({counts})"),
        "runbooks created": (
            True,
            f"{RUNBOOK_PATH}: response for {len(alerts)} alerts, rollback, restore, escalation",
        ),
        "dr tested": (False, "restore drill scheduled, not yet run"),
    }


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
    t = target(request, ctx)
    removing = removal.is_removal(request)
    latency = LATENCY[request.environment]
    alerts = removal.watch_rules(t) if removing else alert_rules(t, latency)
    comps = frozenset(ctx.design.components)
    if removing:
        group = removal.group_name(request)
        board = dashboard(t, latency, removal.watch_panels(t))
        watch = RemovalWatch(
            window_minutes=removal.window_minutes(request),
            quiet_hours=removal.QUIET_HOURS,
            cleanup=removal.cleanup(t),
        )
    else:
        group = f"{request.service_name}-{request.environment.value}.rules"
        board, watch = dashboard(t, latency), None
    return ReliabilityPlan(
        slos=[] if removing else slos(request, ctx, t),
        alerts=alerts,
        readiness=readiness(request, ctx, t, alerts),
        runbook_title=f"Runbook: {request.service_name} ({request.environment.value})",
        watch=_watch(t),
        rule_group=group,
        dashboard=board,
        alert_owners={a.name: alert_owner(a.name) for a in alerts},
        escalation=escalation(ctx.registry, comps),
        removal=watch,
        dashboards=[DASHBOARD_PATH],
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


_ALERT_OWNERS: dict[str, RoleSlug] = {
    "Database": "database-administrator",
    "Cache": "database-administrator",
    "Host": "systems-administrator",
    "Endpoint": "network-engineer",
    "Certificate": "network-engineer",
}


def alert_owner(name: str) -> RoleSlug:
    """Who answers an alert, from the part of the system it watches."""
    return next((s for start, s in _ALERT_OWNERS.items() if name.startswith(start)), ROLE)


def render(plan: ReliabilityPlan, request: ChangeRequest, ctx: RoleContext) -> list[Artifact]:
    registry = ctx.registry
    alerts = [
        {
            "rule": a,
            "anchor": a.name.lower(),
            "for": a.for_ or FOR[a.severity],
            "response": RESPONSE[a.severity],
            "owner": registry.role(plan.alert_owners[a.name]).name,
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
        "has_servers": ctx.servers is not None,
        "passed": sum(c.passed for c in plan.readiness),
        "group": plan.rule_group,
        "dashboard": plan.dashboard,
        "window_minutes": plan.removal.window_minutes if plan.removal else 0,
        "quiet_hours": plan.removal.quiet_hours if plan.removal else 0,
        "cleanup": plan.removal.cleanup if plan.removal else [],
    }
    removing = plan.removal is not None
    outputs: list[tuple[str, ArtifactKind, str]] = [
        (RULES_PATH, "prometheus-rules", "sre/alerts.rules.yml.j2"),
        (DASHBOARD_PATH, "grafana-dashboard", "sre/dashboard.json.j2"),
        (
            RUNBOOK_PATH,
            "markdown",
            "sre/removal-runbook.md.j2" if removing else "sre/runbook.md.j2",
        ),
        (READINESS_PATH, "markdown", "sre/readiness.md.j2"),
    ]
    return [
        Artifact(path=path, role=ROLE, kind=kind, content=render_template(name, **context))
        for path, kind, name in outputs
    ]
