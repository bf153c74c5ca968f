"""The decisions behind a bundle a senior SRE would merge, one fact at a time: state per
change, an existing cluster referenced and not priced, roadmaps that fit the timeline, a
change gate that judges the window when the change is approved, severities per environment."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from opsteam.agents.architect.costs import estimate, footprint
from opsteam.agents.architect.prices import load_prices
from opsteam.agents.architect.schedule import deadline, schedule
from opsteam.agents.automation import role as automation
from opsteam.domain.models import ChangeRequest, MaintenanceWindow
from opsteam.domain.registry import Registry
from opsteam.domain.severity import HandbookLevel, alert_level, incident_severity
from opsteam.graphs.routing import window_check
from opsteam.intake import parse_requests
from tests.team import decide_all

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TODAY = date(2026, 12, 1)


def example(name: str, index: int = 0) -> ChangeRequest:
    return parse_requests((EXAMPLES / name).read_bytes())[index]


def test_an_existing_cluster_is_referenced_never_created_or_priced(registry: Registry) -> None:
    ctx = decide_all(example("web-existing-cluster.yaml"), registry=registry)
    assert ctx.automation is not None and ctx.automation.stack is not None
    cluster = ctx.automation.stack.cluster
    assert cluster is not None and not cluster.created
    assert cluster.autoscaling_groups == "var.node_autoscaling_group_names"
    assert ctx.network is not None and ctx.network.existing_vpc
    items = estimate(footprint(example("web-existing-cluster.yaml"), ctx), load_prices(), "aws")
    assert not [i for i in items.items if "Kubernetes" in i.use or i.use == "NAT egress"]
    created = decide_all(example("web-service-k8s.yaml"), registry=registry)
    assert created.automation is not None and created.automation.stack is not None
    assert created.automation.stack.cluster is not None
    assert created.automation.stack.cluster.created


def test_a_modify_prices_only_what_it_adds_and_keeps_its_own_state(registry: Registry) -> None:
    request = example("vpn-firewall.yaml")
    ctx = decide_all(request, registry=registry)
    plan = ctx.automation
    assert plan is not None and plan.change is not None
    key = plan.change.backend.key
    assert key.startswith("shipping-api-prod/changes/") and "/stack/" not in key
    other = request.model_copy(update={"request": "Second VPN change"})
    second = automation.decide(other, ctx)
    assert second.change is not None and second.change.backend.key != key  # per change
    items = estimate(footprint(request, ctx), load_prices(), "aws").items
    assert {i.use for i in items} == {"VPN", "Terraform state"}  # the VPC, LB... exist


def test_a_removal_names_the_owning_state_and_keeps_none_itself(registry: Registry) -> None:
    ctx = decide_all(example("decommission-server.yaml"), registry=registry)
    plan = ctx.automation
    assert plan is not None and plan.mode == "remove" and plan.owner_state is None
    files = {
        a.path: a.content for a in automation.render(plan, example("decommission-server.yaml"), ctx)
    }
    assert 'backend "s3"' not in files["terraform/main.tf"]
    assert "removed.tf belongs in the module" in files["terraform/main.tf"]


@pytest.mark.parametrize(
    ("timeline", "due"),
    [
        ("2026-12-08", date(2026, 12, 8)),
        ("end of quarter", date(2026, 12, 31)),
        ("next sprint", date(2026, 12, 15)),
        ("two weeks", date(2026, 12, 15)),
        ("before the March release", date(2027, 2, 28)),
        ("when the team has time", None),
    ],
)
def test_timelines_are_read_as_dates(timeline: str, due: date | None) -> None:
    assert deadline(timeline, TODAY) == due


def test_the_roadmap_fits_the_timeline_and_puts_the_apply_in_the_window() -> None:
    tasks = ["assess", "rehearse", "apply in the window", "watch"]
    phases, _note = schedule(tasks, TODAY, date(2026, 12, 20), (3, date(2026, 12, 8)))
    assert phases[2].timeline == "2026-12-08 - 2026-12-08"
    assert phases[0].timeline.startswith("2026-12-01") and phases[1].timeline.endswith("12-07")
    assert phases[3].timeline.endswith("2026-12-20")
    squeezed, warning = schedule(tasks, TODAY, date(2026, 12, 2))
    assert "compressed" in warning and len(squeezed) == 4
    late, why = schedule(tasks, TODAY, None, (3, date(2026, 11, 30)))
    assert "schedule a new window" in why and len(late) == 4
    weekly, plain = schedule(tasks, TODAY, None)
    assert weekly[0].timeline == "Week 1" and "names no date" in plain


def _window(start: str, request: ChangeRequest) -> ChangeRequest:
    window = MaintenanceWindow(start=datetime.fromisoformat(start), duration_minutes=60)
    return request.model_copy(update={"maintenance_window": window})


@pytest.mark.parametrize(
    ("start", "at", "passes", "why"),
    [
        ("2026-12-08T01:00:00+00:00", "2026-12-07T09:00:00+00:00", True, "starts in 16 h"),
        ("2026-12-08T01:00:00+00:00", "2026-12-08T03:00:00+00:00", False, "already over"),
        ("2026-12-08T01:00:00+00:00", "2026-12-08T01:30:00+00:00", False, "already started"),
        ("2026-12-11T01:00:00+00:00", "2026-12-07T09:00:00+00:00", False, "Friday"),
    ],
)
def test_the_gate_judges_the_window_when_the_change_is_approved(
    start: str, at: str, passes: bool, why: str
) -> None:
    request = _window(start, example("schema-migration.yaml"))
    ok, evidence = window_check(request, datetime.fromisoformat(at))
    assert ok is passes and why in evidence


def test_an_urgent_change_may_use_a_friday_window() -> None:
    request = _window("2026-12-11T01:00:00+00:00", example("schema-migration.yaml"))
    urgent = request.model_copy(update={"justification": "Urgent: checkout fails without it."})
    assert window_check(urgent, datetime(2026, 12, 7, tzinfo=UTC))[0]
    no_window = request.model_copy(update={"maintenance_window": None})
    assert window_check(no_window, None) == (False, "no maintenance window scheduled")


@pytest.mark.parametrize(
    ("env", "level", "incident"),
    [("prod", "P0", "P1"), ("staging", "P1", "P1"), ("dev", "P2", "P2")],
)
def test_an_outage_pages_p0_only_in_production(env: str, level: str, incident: str) -> None:
    capped = alert_level(HandbookLevel.P0, env)
    assert (capped.value, incident_severity(capped).value) == (level, incident)
    assert alert_level(HandbookLevel.P3, env) is HandbookLevel.P3  # never raised


def test_the_diagram_of_a_modify_draws_only_what_it_creates(registry: Registry) -> None:
    from opsteam.agents.architect.diagram import diagram

    ctx = decide_all(example("vpn-firewall.yaml"), registry=registry)
    picture = diagram(replace(ctx))
    assert picture.addresses() == {"aws_vpn_gateway.main", "aws_vpn_connection.partner"}
    labels = {n.label for n in picture.nodes}
    assert any(label.startswith("Partner network 192.168.40.0/24") for label in labels)


@pytest.mark.parametrize("name", ["web-service-k8s.yaml", "web-existing-cluster.yaml"])
def test_monitoring_is_ready_only_where_a_prometheus_will_read_the_bundle(
    registry: Registry, name: str
) -> None:
    """A cluster the change creates gets the monitoring stack from the bundle; without it its
    alerts would be evaluated by nothing, and the readiness gate must not pass it."""
    from opsteam.agents.sre import role as sre

    request = example(name)
    ctx = decide_all(request, registry=registry)
    plan = sre.decide(request, ctx)
    [check] = [c for c in plan.readiness if c.item.lower() == "monitoring configured"]
    assert check.passed
    assert ctx.automation is not None and ctx.automation.stack is not None
    cluster = ctx.automation.stack.cluster
    assert cluster is not None
    if not cluster.created:
        return
    assert "installs kube-prometheus-stack" in check.evidence
    bare = cluster.model_copy(update={"monitoring": None})
    stack = ctx.automation.stack.model_copy(update={"cluster": bare})
    without = replace(ctx, automation=ctx.automation.model_copy(update={"stack": stack}))
    [unmonitored] = [c for c in sre.decide(request, without).readiness if c.item == check.item]
    assert not unmonitored.passed
    assert "no Prometheus or Alertmanager" in unmonitored.evidence
