"""Site Reliability Engineer: SLO math, handbook severities, selectors, runbook, readiness."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from opsteam.agents.base import RoleContext
from opsteam.agents.sre import role as sre
from opsteam.domain.decisions import ReliabilityPlan
from opsteam.domain.models import Artifact, ChangeRequest, Environment
from opsteam.domain.naming import k8s_labels, namespace
from opsteam.domain.registry import Registry
from tests.plan_factories import make_design, make_request
from tests.sre_cases import baseline, cases


def _run(request: ChangeRequest, ctx: RoleContext) -> tuple[ReliabilityPlan, dict[str, str]]:
    plan = sre.decide(request, ctx)
    artifacts: list[Artifact] = sre.render(plan, request, ctx)
    assert {a.role for a in artifacts} == {"site-reliability-engineer"}
    return plan, {a.path: a.content for a in artifacts}


def _web(registry: Registry, **fields: Any) -> tuple[ReliabilityPlan, dict[str, str]]:
    request = make_request(**fields)
    return _run(request, RoleContext(registry=registry, design=make_design()))


def test_role_slug() -> None:
    assert sre.ROLE == "site-reliability-engineer"


@pytest.mark.parametrize(
    ("objective", "minutes"), [(99.9, 43.2), (99.5, 216.0), (99.0, 432.0), (99.95, 21.6)]
)
def test_error_budget_math(objective: float, minutes: float) -> None:
    assert sre.error_budget_minutes(objective, 30) == minutes


@pytest.mark.parametrize(
    ("environment", "objective", "budget"),
    [("prod", 99.9, 43.2), ("staging", 99.5, 216.0), ("dev", 99.0, 432.0)],
)
def test_availability_slo_by_environment(
    registry: Registry, environment: str, objective: float, budget: float
) -> None:
    plan, _ = _web(registry, environment=environment)
    availability = plan.slos[0]
    assert (availability.objective, availability.window_days) == (objective, 30)
    assert availability.error_budget_minutes == budget
    assert any(s.name.endswith("-latency") for s in plan.slos)


def test_prod_objective_is_the_registry_kpi(registry: Registry) -> None:
    kpi = next(k for k in registry.kpis if k.key == "availability")
    plan, _ = _web(registry)
    assert plan.slos[0].objective == kpi.target


def test_handbook_severities(registry: Registry) -> None:
    plan, _ = _web(registry)
    by_name = {a.name: a for a in plan.alerts}
    assert by_name["ServiceDown"].severity == "P0"
    assert by_name["HighErrorRate"].severity == "P1"
    assert "> 0.05" in by_name["HighErrorRate"].expr
    assert by_name["ElevatedErrorRate"].severity == "P2"
    assert "> 0.01" in by_name["ElevatedErrorRate"].expr
    assert by_name["PodRestarting"].severity == "P3"
    assert by_name["DatabaseDown"].severity == "P1"  # database connectivity per handbook


def test_alerts_select_the_namespace_and_kubernetes_labels(registry: Registry) -> None:
    request = make_request()
    plan, _ = _web(registry)
    ns = namespace(request)
    name = k8s_labels(request)["app.kubernetes.io/name"]
    for alert in plan.alerts:
        assert f'namespace="{ns}"' in alert.expr, alert.name
    by_name = {a.name: a for a in plan.alerts}
    assert f'deployment="{name}"' in by_name["ServiceDown"].expr
    # Pods by name: no join on a pod-label metric kube-state-metrics does not export by default.
    restarts = by_name["PodRestarting"].expr
    assert f'pod=~"{name}-[a-z0-9]+-[a-z0-9]+"' in restarts and "kube_pod_labels" not in restarts
    assert 'service="billing-api"' in by_name["HighErrorRate"].expr


def test_rules_file_labels_annotations_and_runbook_anchors(registry: Registry) -> None:
    plan, docs = _web(registry)
    rules = yaml.safe_load(docs[sre.RULES_PATH])["groups"][0]["rules"]
    assert [r["alert"] for r in rules] == [a.name for a in plan.alerts]
    runbook = docs[sre.RUNBOOK_PATH]
    for rule in rules:
        assert rule["labels"]["severity"] in {"P0", "P1", "P2", "P3"}
        assert rule["labels"]["service"] == "billing-api"
        assert rule["annotations"]["summary"]
        url = rule["annotations"]["runbook_url"]
        assert url == (
            f"https://runbooks.example.com/billing-api-prod/docs/runbook.md#{rule['alert'].lower()}"
        )
        assert rule["labels"]["incident_severity"] in {"P1", "P2", "P3"}
        assert f"\n### {rule['alert']}\n" in runbook


def test_database_alerts_follow_the_dba_engine_and_port(registry: Registry) -> None:
    request, ctx = cases(registry)["web-mysql-staging"]
    plan, docs = _run(request, ctx)
    by_name = {a.name: a for a in plan.alerts}
    assert "mysql_up" in by_name["DatabaseDown"].expr
    assert "3307" in by_name["DatabaseDown"].summary
    assert "DatabaseReplicationLag" in by_name  # the DBA planned a read replica
    assert "--port=3307" in docs[sre.RUNBOOK_PATH] and "VERIFY_IDENTITY" in docs[sre.RUNBOOK_PATH]
    assert "database/database-plan.md" in docs[sre.RUNBOOK_PATH]


def test_a_cache_that_is_the_service_pages_p0_only_in_production(registry: Registry) -> None:
    request, ctx = cases(registry)["cache-only-dev"]
    plan, _ = _run(request, ctx)
    by_name = {a.name: a for a in plan.alerts}
    assert by_name["CacheDown"].severity == "P2"  # dev: never paged as P0 (handbook)
    assert "redis_up" in by_name["CacheDown"].expr
    assert "ServiceDown" not in by_name
    prod, _ = _run(request.model_copy(update={"environment": Environment.PROD}), ctx)
    down = next(a for a in prod.alerts if a.name == "CacheDown")
    assert (down.severity, down.labels["incident_severity"]) == ("P0", "P1")


def test_server_alerts_use_node_exporter(registry: Registry) -> None:
    request, ctx = cases(registry)["servers-prod"]
    plan, _ = _run(request, ctx)
    names = [a.name for a in plan.alerts]
    assert names[:2] == ["HostDown", "HostDiskSpaceLow"]
    assert all('job="batch-hosts-prod-node"' in a.expr for a in plan.alerts)
    # Only running hosts are discovered: a stopped one is not down.
    [job] = [j for j in plan.scrape_jobs if j.kind == "ec2"]
    assert job.ec2_filters["instance-state-name"] == ["running"]


def test_dashboard_is_valid_json_with_the_same_selectors(registry: Registry) -> None:
    _, docs = _web(registry)
    dashboard = json.loads(docs[sre.DASHBOARD_PATH])
    assert dashboard["panels"]
    ns = namespace(make_request())
    for panel in dashboard["panels"]:
        assert panel["targets"] and panel["datasource"]["type"] == "prometheus"
        for target in panel["targets"]:
            assert f'namespace="{ns}"' in target["expr"]


def test_runbook_is_an_operational_document(registry: Registry) -> None:
    _, docs = _web(registry)
    runbook = docs[sre.RUNBOOK_PATH]
    for needle in (
        "| Lifecycle state | Draft |",
        "| Owner | Site Reliability Engineer |",
        "| Version | 1.0.0 |",
        "Canonical design: see [plan/infrastructure-plan.md]",
        "## Alert response",
        "## Rollback",
        "## Restore from backup",
        "## Escalation path",
        "## Deviations",
        "kubectl rollout undo deployment/billing-api -n billing-api-prod",
    ):
        assert needle in runbook, needle
    escalation = runbook.split("## Escalation path")[1]
    for name in (
        "Site Reliability Engineer",
        "Systems Administrator",
        "Infrastructure Architect",
        "Human escalation",
    ):
        assert name in escalation


def test_readiness_items_come_from_the_registry_and_are_honest(registry: Registry) -> None:
    plan, docs = _web(registry)
    checks = {c.item: c for c in plan.readiness}
    assert list(checks) == list(registry.gates.production_readiness)
    assert not checks["DR tested"].passed
    assert checks["DR tested"].evidence == "restore drill scheduled, not yet run"
    assert not checks["Infrastructure provisioned"].passed
    assert checks["Security hardening applied"].passed  # no hosts in this design
    assert checks["Alerts defined"].passed and checks["Runbooks created"].passed
    assert "| DR tested | no | restore drill scheduled, not yet run |" in docs[sre.READINESS_PATH]


def test_hardening_needs_a_baseline_when_hosts_exist(registry: Registry) -> None:
    request = make_request(component="server")
    design = make_design(components=["server"], hosts_needed=True, engine=None)
    missing = sre.decide(request, RoleContext(registry=registry, design=design))
    hardened = sre.decide(
        request, RoleContext(registry=registry, design=design, servers=baseline(["cis level 1"]))
    )
    assert not {c.item: c for c in missing.readiness}["Security hardening applied"].passed
    assert {c.item: c for c in hardened.readiness}["Security hardening applied"].passed


def test_recorded_evidence_passes_a_gate_item(registry: Registry) -> None:
    request = make_request()
    ctx = RoleContext(
        registry=registry,
        design=make_design(),
        extra={"readiness_evidence": {"DR tested": "restore drill 2026-11-20 ok"}},
    )
    checks = {c.item: c for c in sre.decide(request, ctx).readiness}
    assert checks["DR tested"].passed
    assert checks["DR tested"].evidence == "restore drill 2026-11-20 ok"


def test_every_case_renders_deterministically_without_internal_ids(registry: Registry) -> None:
    for request, ctx in cases(registry).values():
        first = _run(request, ctx)
        second = _run(request, ctx)
        assert first == second
        plan, docs = first
        assert plan.alerts
        assert bool(plan.slos) is (request.type.value != "Remove")  # nothing to keep up
        for text in docs.values():
            assert not re.search(r"INF\s*-?\s*\d{3}", text, re.IGNORECASE)
        yaml.safe_load(docs[sre.RULES_PATH])
        json.loads(docs[sre.DASHBOARD_PATH])


def test_a_web_service_pages_when_its_public_path_fails_while_its_pods_are_up(
    registry: Registry,
) -> None:
    """Load balancer, DNS or a policy broken: no requests reach the app, so the error ratio
    is silent and every replica is available; only the outside probe sees the outage."""
    request, ctx = cases(registry)["web-postgres-prod"]
    plan, _ = _run(request, ctx)
    by_name = {a.name: a for a in plan.alerts}
    unreachable = by_name["EndpointUnreachable"]
    assert unreachable.expr.startswith("probe_success{") and unreachable.expr.endswith("== 0")
    assert unreachable.severity in {"P0", "P1"}  # pages, not a ticket
    assert "ServiceDown" in by_name  # the replicas' own alert stays


def test_cloudwatch_samples_are_stamped_at_scrape_time(registry: Registry) -> None:
    """CloudWatch data is 5+ minutes old; stamped with its own time it falls outside
    Prometheus' lookback, the tunnel rules read nothing and only absent() fires, forever."""
    request, ctx = cases(registry)["vpn-modify-prod"]
    _, files = _run(request, ctx)
    settings = yaml.safe_load(files["monitoring/cloudwatch-exporter.yml"])
    assert settings["set_timestamp"] is False
    assert settings["metrics"], "the tunnel metrics the alerts read"


def test_a_web_service_pages_on_error_budget_burn_against_its_own_objective(
    registry: Registry,
) -> None:
    """Fixed error-rate thresholds miss a slow burn: against the SLO's objective, a fast burn
    (14.4x over 1 h and 5 min) pages and a slow one (6x over 6 h and 30 min) is P2."""
    request, ctx = cases(registry)["web-postgres-prod"]
    plan, files = _run(request, ctx)
    [availability] = [s for s in plan.slos if s.name == f"{request.service_name}-availability"]
    budget = (100 - availability.objective) / 100
    by_name = {a.name: a for a in plan.alerts}
    fast, slow = by_name["ErrorBudgetBurnFast"], by_name["ErrorBudgetBurnSlow"]
    assert fast.severity == "P1" and slow.severity == "P2"
    for alert, rate, windows in ((fast, 14.4, ("[1h]", "[5m]")), (slow, 6.0, ("[6h]", "[30m]"))):
        assert f"> {round(rate * budget, 6):g}" in alert.expr
        assert all(window in alert.expr for window in windows)
    assert "ErrorBudgetBurnFast" in files["monitoring/alerts.rules.yml"]
