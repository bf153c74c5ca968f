"""Pure incident logic: triage, routing, status rules, escalation windows, communications.

No graph, no database: same input, same output.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from opsteam.agents.sre.comms import (
    maintenance_type,
    render_incident_update,
    render_maintenance_notice,
)
from opsteam.agents.sre.escalation import (
    escalation_path,
    level_at,
    next_escalation_at,
    passed_levels,
)
from opsteam.agents.sre.incidents import (
    IncidentUpdate,
    apply_update,
    human_reason,
    open_incident,
    route,
)
from opsteam.agents.sre.triage import assess
from opsteam.domain.alerts import parse_alerts
from opsteam.domain.errors import ConflictError, InputError
from opsteam.domain.incidents import IncidentReport, IncidentStatus, Severity, check_transition
from opsteam.domain.models import ChangeRequest
from opsteam.domain.registry import Registry, load_registry

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.fixture
def registry() -> Registry:
    return load_registry()


def report(**overrides: Any) -> IncidentReport:
    data: dict[str, Any] = {
        "title": "Checkout problem",
        "description": "customers see errors",
        "service": "checkout",
        "environment": "prod",
        "detected_at": T0,
    }
    return IncidentReport.model_validate({**data, **overrides})


def triage(found: IncidentReport, registry: Registry) -> Any:
    return assess(found, registry, parse_alerts(found.alert))


@pytest.mark.parametrize(
    ("overrides", "severity", "reason"),
    [
        ({"description": "checkout is down for everyone"}, "P1", "total outage (for everyone)"),
        ({"description": "p99 latency doubled"}, "P2", "degraded (p99)"),
        ({"description": "intermittent warning in logs"}, "P3", "minor (intermittent)"),
        ({"description": "typo on the status page"}, "P4", "informational"),
        ({"description": "something odd"}, "P3", "no impact stated"),
        ({"alert": {"labels": {"severity": "critical"}}}, "P1", "severity label 'critical'"),
        # impact beats labels: an "info" alert about a site that is down is an outage
        ({"alert": {"severity": "info"}, "description": "site down"}, "P1", "total outage"),
        ({"description": "site down", "environment": "staging"}, "P3", "lowered to P3"),
        ({"description": "site down", "environment": "dev"}, "P4", "lowered to P4"),
        ({"description": "site down", "environment": "dev", "severity": "P2"}, "P2", "reporter"),
    ],
)
def test_triage(registry: Registry, overrides: dict[str, Any], severity: str, reason: str) -> None:
    found = triage(report(**overrides), registry)
    assert found.severity == Severity(severity)
    assert found.severity_reason.startswith(f"{severity}: ")
    assert reason in found.severity_reason


def test_alert_payload_shapes() -> None:
    (plain,) = parse_alerts({"severity": " Critical ", "summary": "x"})
    assert (plain.name, plain.severity, plain.text) == ("alert", "critical", "x")
    (prom,) = parse_alerts({"labels": {"severity": "warning", "alertname": "A"}})
    assert (prom.name, prom.severity) == ("A", "warning")
    webhook = parse_alerts(
        {"alerts": [{"labels": {"severity": "page", "alertname": "B"}, "status": "resolved"}, 7]}
    )
    assert [(a.name, a.severity, a.firing) for a in webhook] == [("B", "page", False)]
    assert parse_alerts({"alerts": "nonsense", "labels": 3})[0].labels == {}
    assert parse_alerts(None) == ()


@pytest.mark.parametrize(
    ("component", "description", "owner"),
    [
        ("server", "host out of memory", "systems-administrator"),
        ("kubernetes", "nodes not ready", "systems-administrator"),
        ("dns", "NXDOMAIN", "network-engineer"),
        ("firewall", "blocked port", "network-engineer"),
        ("load-balancer", "5xx from lb", "network-engineer"),
        ("database", "replica lag", "database-administrator"),
        ("cache", "evictions", "database-administrator"),
        ("monitoring", "alerts silent", "site-reliability-engineer"),
        (None, "kernel panic on the ubuntu vm", "systems-administrator"),
        (None, "tls certificate expired on the ingress", "network-engineer"),
        ("kafka", "consumers stuck", "database-administrator"),  # free text, registry words
        (None, "nothing specific", "site-reliability-engineer"),
        ("database", "needs an architecture decision on multi-region", "infrastructure-architect"),
    ],
)
def test_routing_to_the_component_owner(
    registry: Registry, component: str | None, description: str, owner: str
) -> None:
    found = triage(report(component=component, description=description), registry)
    assert found.owner == owner


def test_major_incident_and_business_decision_go_to_a_human(registry: Registry) -> None:
    major = open_incident(report(description="checkout is down"), registry)
    assert human_reason(major) == "major incident: P1 in production"
    staging = open_incident(report(description="checkout is down", environment="staging"), registry)
    assert human_reason(staging) is None
    business = open_incident(report(description="needs a business decision on refunds"), registry)
    assert "business decision" in (human_reason(business) or "")


def test_status_moves_forward_only() -> None:
    check_transition(IncidentStatus.INVESTIGATING, IncidentStatus.FIXING)  # skipping is fine
    check_transition(IncidentStatus.FIXING, IncidentStatus.FIXING)  # same status, new info
    with pytest.raises(ConflictError, match="cannot go back"):
        check_transition(IncidentStatus.FIXING, IncidentStatus.IDENTIFIED)
    with pytest.raises(ConflictError, match="already resolved"):
        check_transition(IncidentStatus.RESOLVED, IncidentStatus.RESOLVED)


def test_updates_are_checked_and_leave_the_incident_untouched(registry: Registry) -> None:
    incident = route(open_incident(report(description="checkout down"), registry), registry, T0)
    assert [e.kind for e in incident.timeline] == ["opened", "triaged", "routed", "human-requested"]
    with pytest.raises(InputError, match="before the incident was detected"):
        apply_update(incident, IncidentUpdate(at=T0 - timedelta(minutes=1), note="x"), registry)
    with pytest.raises(InputError, match="eta"):
        apply_update(
            incident,
            IncidentUpdate(at=T0 + timedelta(minutes=5), eta=T0 + timedelta(minutes=4)),
            registry,
        )
    assert len(incident.timeline) == 4  # frozen: the failed updates changed nothing
    later = apply_update(
        incident,
        IncidentUpdate(at=T0 + timedelta(minutes=5), status=IncidentStatus.IDENTIFIED),
        registry,
    )
    assert later.status is IncidentStatus.IDENTIFIED
    assert later.timeline[-1].kind == "status"
    assert "STATUS: Identified" in (later.timeline[-1].communication or "")


def test_escalation_windows_follow_the_registry(registry: Registry) -> None:
    path = escalation_path(registry, "database-administrator")
    assert [(s.level, s.holder, s.from_minutes) for s in path] == [
        ("on-call", "Site Reliability Engineer", 0),
        ("secondary", "Systems Administrator", 15),
        ("component-owner", "Database Administrator", 30),
        ("architecture", "Infrastructure Architect", 60),
        ("human", "Human escalation", 120),
    ]

    def at(minutes: float) -> str:
        now = T0 + timedelta(minutes=minutes)
        return level_at(registry, detected_at=T0, now=now, owner="network-engineer").holder

    assert [at(m) for m in (0, 14.99, 15, 30, 59, 60, 119, 120, 10_000)] == [
        "Site Reliability Engineer",
        "Site Reliability Engineer",
        "Systems Administrator",
        "Network Engineer",
        "Network Engineer",
        "Infrastructure Architect",
        "Infrastructure Architect",
        "Human escalation",
        "Human escalation",
    ]
    skipped = passed_levels(
        registry,
        detected_at=T0,
        since_level="on-call",
        now=T0 + timedelta(minutes=65),
        owner="network-engineer",
    )
    assert [s.level for s in skipped] == ["secondary", "component-owner", "architecture"]
    assert next_escalation_at(
        registry, detected_at=T0, now=T0 + timedelta(minutes=20), owner=None
    ) == T0 + timedelta(minutes=30)
    assert (
        next_escalation_at(registry, detected_at=T0, now=T0 + timedelta(minutes=200), owner=None)
        is None
    )


def test_incident_update_text_cannot_be_forged(registry: Registry) -> None:
    incident = open_incident(
        report(title="Checkout\nSEVERITY: P4", description="checkout down"), registry
    )
    text = render_incident_update(incident, registry)
    assert text.splitlines()[:2] == [
        f"INCIDENT: {incident.id} Checkout SEVERITY: P4 (checkout, prod)",
        "SEVERITY: P1",
    ]
    assert len(text.splitlines()) == 7


def change(**overrides: Any) -> ChangeRequest:
    data: dict[str, Any] = {
        "request": "Patch billing hosts",
        "type": "Modify",
        "component": "server",
        "description": "Apply kernel patching to billing hosts",
        "justification": "CVE fixes",
        "timeline": "this week",
        "impact": "Rolling restarts, no downtime expected",
        "requester": "platform team",
        "environment": "prod",
        "service": "billing",
        "maintenance_window": {"start": "2026-12-01T03:00:00+01:00", "duration_minutes": 90},
    }
    return ChangeRequest.model_validate({**data, **overrides})


def test_maintenance_notice_matches_the_form() -> None:
    text = render_maintenance_notice(change(), rollback_available=True, contact="on-call team")
    assert text == (
        "MAINTENANCE: Scheduled\n"
        "WINDOW: 2026-12-01 02:00 - 2026-12-01 03:30 UTC\n"
        "AFFECTED: billing (prod, server)\n"
        "TYPE: Patching\n"
        "IMPACT: Rolling restarts, no downtime expected\n"
        "ROLLBACK: Available\n"
        "CONTACT: on-call team\n"
    )
    migration = change(request="Move orders DB", description="Migrate orders to Aurora")
    assert maintenance_type(migration) == "Migration"
    upgrade = change(request="Redis 7", description="Upgrade the cache engine")
    assert maintenance_type(upgrade) == "Upgrade"
    assert "ROLLBACK: Not Available" in render_maintenance_notice(
        upgrade, rollback_available=False, contact="Site Reliability Engineer on call"
    )
    with pytest.raises(InputError, match="maintenance_window"):
        render_maintenance_notice(
            change(maintenance_window=None), rollback_available=True, contact="x"
        )
