"""The production-readiness gate: the registry's items, each with honest evidence.

A check passes only on evidence the bundle carries (or a person gives); what a request leaves
undone (infrastructure not yet applied, credentials still to be created) says so.
"""

from __future__ import annotations

from collections.abc import Mapping

from opsteam.agents.base import RoleContext
from opsteam.agents.sre import removal
from opsteam.agents.sre.checks import Target
from opsteam.agents.sre.paths import (
    ALERTMANAGER_PATH,
    DASHBOARD_PATH,
    RULES_PATH,
    RUNBOOK_PATH,
    SCRAPE_PATH,
)
from opsteam.domain.decisions import AlertReceiver, AlertRule
from opsteam.domain.models import ChangeRequest, GateCheck
from opsteam.domain.naming import namespace
from opsteam.domain.severity import HandbookLevel


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
    request: ChangeRequest,
    ctx: RoleContext,
    t: Target,
    alerts: list[AlertRule],
    receivers: list[AlertReceiver],
) -> list[GateCheck]:
    """The registry's production-readiness items, each with honest evidence."""
    given = _evidence(ctx)
    known = (
        _removal_known(request, alerts)
        if removal.is_removal(request)
        else _service_known(request, ctx, t, alerts, receivers)
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


def _monitoring(
    request: ChangeRequest, ctx: RoleContext, receivers: list[AlertReceiver]
) -> tuple[bool, str]:
    """Configured only where a Prometheus will read the bundle's files: an existing cluster's
    (a prerequisite), or the one the bundle installs in the cluster it creates. A created
    cluster without it would evaluate no alert and page nobody."""
    wired = (
        f"{DASHBOARD_PATH}; {SCRAPE_PATH} scrapes every metric the alerts read "
        f"(namespace {namespace(request)})"
    )
    stack = ctx.automation.stack if ctx.automation is not None else None
    cluster = stack.cluster if stack is not None else None
    if cluster is None or not cluster.created:
        return True, wired
    installed = cluster.monitoring
    if installed is None:
        return False, (
            f"the new cluster {cluster.name} runs no Prometheus or Alertmanager: install them "
            f"(e.g. kube-prometheus-stack) in its monitoring namespace and load {SCRAPE_PATH}, "
            f"{RULES_PATH} and {ALERTMANAGER_PATH}; until then no alert is evaluated or sent"
        )
    keys = ", ".join(r.secret_file.rsplit("/", 1)[-1] for r in receivers) or "none"
    pages = [r.name for r in receivers if r.kind == "page"]
    return True, (
        f"{wired}; the bundle installs {installed.chart} {installed.version} in {cluster.name} "
        f"(namespace {installed.namespace}), loading {RULES_PATH} as a PrometheusRule, "
        f"{ALERTMANAGER_PATH} as Alertmanager's routes"
        + (f" (pages go to {', '.join(pages)})" if pages else "")
        + f" and {SCRAPE_PATH}'s jobs; create Secret {installed.namespace}/{installed.secret} "
        f"(keys: {keys}) before the first notification"
    )


def _service_known(
    request: ChangeRequest,
    ctx: RoleContext,
    t: Target,
    alerts: list[AlertRule],
    receivers: list[AlertReceiver],
) -> dict[str, tuple[bool, str]]:
    hardened, hardening_evidence = _hardening(request, ctx, t)
    counts = ", ".join(f"{s}: {sum(a.severity == s for a in alerts)}" for s in HandbookLevel)
    return {
        "infrastructure provisioned": (
            False,
            "infrastructure code prepared, not yet applied "
            "(applied after production-change approval)",
        ),
        "security hardening applied": (hardened, hardening_evidence),
        "monitoring configured": _monitoring(request, ctx, receivers),
        "alerts defined": (bool(alerts), f"{len(alerts)} rules in {RULES_PATH} ({counts})"),
        "runbooks created": (
            True,
            f"{RUNBOOK_PATH}: response for {len(alerts)} alerts, rollback, restore, escalation",
        ),
        "dr tested": (False, "restore drill scheduled, not yet run"),
    }
