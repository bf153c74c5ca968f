"""A Remove request: the SRE watches the removal instead of monitoring the removed service."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from opsteam.agents.base import RoleContext
from opsteam.agents.sre import role as sre
from opsteam.domain.decisions import ReliabilityPlan
from opsteam.domain.registry import Registry
from opsteam.graphs import routing
from tests.plan_factories import make_design, make_request
from tests.test_bundle_consistency import example, run

# Alerts that only make sense for a service meant to stay up.
SERVICE_ALERTS = {
    "ServiceDown",
    "HighErrorRate",
    "ElevatedErrorRate",
    "HighLatency",
    "ReplicasUnavailable",
    "EndpointDown",
    "DatabaseDown",
    "HostDown",
}


def _render(registry: Registry, **fields: object) -> tuple[ReliabilityPlan, dict[str, str]]:
    request = make_request(**fields)
    ctx = RoleContext(registry=registry, design=make_design())
    plan = sre.decide(request, ctx)
    return plan, {a.path: a.content for a in sre.render(plan, request, ctx)}


def _rules(text: str) -> list[dict[str, object]]:
    [group] = yaml.safe_load(text)["groups"]
    return list(group["rules"])


def test_a_removal_has_no_slo_alerts_and_watches_the_removal(registry: Registry) -> None:
    plan, docs = _render(
        registry,
        type="Remove",
        maintenance_window={"start": "2026-12-01T02:00:00Z", "duration_minutes": 90},
    )
    assert plan.slos == []
    rules = {str(r["alert"]): r for r in _rules(docs[sre.RULES_PATH])}
    assert not set(rules) & SERVICE_ALERTS, sorted(rules)
    assert not any("latency" in str(r["expr"]) or "5.." in str(r["expr"]) for r in rules.values())
    up = rules["DecommissionedTargetStillUp"]
    assert str(up["expr"]).startswith("up{") and str(up["expr"]).endswith("} == 1")
    service = make_request().service_name
    assert f'service="{service}"' in str(up["expr"])
    assert up["for"] == "90m"  # the change window from the request
    assert {r["labels"]["severity"] for r in rules.values()} == {"P2"}  # type: ignore[index]
    assert "DecommissionedServiceStillReceivingTraffic" in rules


def test_the_removal_runbook_lists_what_to_delete(registry: Registry) -> None:
    _, kept = _render(registry)
    _, removed = _render(registry, type="Remove")
    service_dashboard = json.loads(kept[sre.DASHBOARD_PATH])
    watch = json.loads(removed[sre.DASHBOARD_PATH])
    assert watch["uid"] != service_dashboard["uid"]  # never overwrites the one to delete
    assert "removal watch" in watch["title"]
    runbook = removed[sre.RUNBOOK_PATH]
    assert "## Monitoring to delete, and when" in runbook
    assert service_dashboard["uid"] in runbook  # the dashboard to delete, by its real uid
    [kept_group] = yaml.safe_load(kept[sre.RULES_PATH])["groups"]
    assert f"`{kept_group['name']}`" in runbook  # the rule group to delete
    assert "On-call route" in runbook and "Alertmanager" in runbook
    assert "## Service level objectives" not in runbook


def test_removal_readiness_evidence_reflects_the_watch(registry: Registry) -> None:
    plan, _ = _render(registry, type="Remove")
    evidence = {c.item.lower(): (c.passed, c.evidence) for c in plan.readiness}
    passed, why = evidence["alerts defined"]
    assert passed and "removal-watch" in why and "P0" not in why
    assert "removal-watch" in evidence["monitoring configured"][1]


def test_a_prod_removal_still_satisfies_monitoring_prepared(
    tmp_path: Path, registry: Registry
) -> None:
    state, files = run(tmp_path, example("decommission-server.yaml", environment="prod"))
    assert state.reliability is not None and state.reliability.slos == []
    names = {str(r["alert"]) for r in _rules(files[sre.RULES_PATH])}
    assert "DecommissionedTargetStillUp" in names and not names & SERVICE_ALERTS
    [monitoring] = [
        c for c in routing.change_approval(state, registry) if "monitoring" in c.item.lower()
    ]
    assert monitoring.passed, monitoring
