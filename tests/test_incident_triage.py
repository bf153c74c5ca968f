"""Triage from evidence (issue 15), pure: no graph, no database.

Knock-on alerts never decide the owner, every alert counts for severity whatever its order,
faults in application code go to the owning team, and the registry's vocabulary is data.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from opsteam.agents.sre.triage import assess
from opsteam.domain.alerts import Alert, parse_alerts
from opsteam.domain.errors import RegistryError
from opsteam.domain.incidents import IncidentReport
from opsteam.domain.registry import Registry, default_registry_path, load_registry
from opsteam.domain.triage import OWNING_TEAM, Assessment, EvidenceNote, SymptomClass

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def alert(name: str, minutes: int, description: str, **labels: str) -> dict[str, Any]:
    return {
        "status": "firing",
        "labels": {"alertname": name, "severity": "warning", **labels},
        "annotations": {"description": description},
        "startsAt": at(minutes),
    }


UPSTREAM_ERRORS = alert(
    "CartHighErrorRate", 1, "22% of cart calls failed over 5 minutes.", service="cart"
)
DATA_STORE_LOW_TRAFFIC = alert(
    "RedisLowOps",
    4,
    "valkey-cart executes 70% fewer commands than an hour ago.",
    service="valkey-cart",
    job="redis-exporter",
)


def report(description: str = "Cart calls failing", **extra: Any) -> IncidentReport:
    data: dict[str, Any] = {
        "title": "Cart errors",
        "description": description,
        "service": "cart",
        "environment": "prod",
        "detected_at": at(5),
        **extra,
    }
    return IncidentReport.model_validate(data)


def triage(registry: Registry, found: IncidentReport, *notes: EvidenceNote) -> Assessment:
    return assess(found, registry, parse_alerts(found.alert), notes)


def test_a_data_store_alone_goes_to_its_owner(registry: Registry) -> None:
    """The control for the knock-on tests: the same alert on its own names the data store."""
    found = triage(
        registry, report("valkey-cart is quiet", alert={"alerts": [DATA_STORE_LOW_TRAFFIC]})
    )
    assert found.owner == "database-administrator"


@pytest.mark.parametrize(
    ("description", "owner", "evidence"),
    [
        ("Cart calls failing since cart 3.2.0 rolled out", OWNING_TEAM, "application fault"),
        (
            'Cart logs "dial tcp 10.96.3.7:8080: i/o timeout" calling checkout',
            "network-engineer",
            "network path failure (i/o timeout)",
        ),
        ("Cart calls failing", "site-reliability-engineer", None),
    ],
)
def test_knock_on_alerts_do_not_decide_the_owner(
    registry: Registry, description: str, owner: str, evidence: str | None
) -> None:
    """Upstream errors + a downstream data store's low traffic: the upstream owner keeps it."""
    payload = {"alerts": [DATA_STORE_LOW_TRAFFIC, UPSTREAM_ERRORS]}  # knock-on listed first
    found = triage(registry, report(description, alert=payload))
    assert found.owner == owner
    assert found.owner != "database-administrator"
    (knock,) = found.knock_on
    assert (knock.subject, knock.knock_on) == ("valkey-cart", True)
    assert knock.source.startswith("alert RedisLowOps")
    dba = next(c for c in found.candidates if c.owner == "database-administrator")
    assert any("knock-on" in line for line in dba.evidence)
    if evidence is None:
        assert found.owner_reason == "no evidence names an owner; the commander keeps it"
    else:
        assert any(evidence in line for line in found.evidence)


def test_a_knock_on_alert_naming_database_operations_is_not_the_cause(
    registry: Registry,
) -> None:
    """Issue 15: one knock-on alert whose name said "database operations" sent 11 to the DBA."""
    ops_drop = alert(
        "OrdersDatabaseOperationsLow",
        3,
        "orders-db database operations 80% below last week.",
        service="orders-db",
    )
    errors = alert(
        "CheckoutHighErrorRate",
        1,
        '18% failed: "dial tcp 10.96.12.40:50051: i/o timeout" calling payment',
        service="checkout",
    )
    found = triage(
        registry,
        report("Checkout failing", service="checkout", alert={"alerts": [ops_drop, errors]}),
    )
    assert found.owner == "network-engineer"
    assert [s.subject for s in found.knock_on] == ["orders-db"]


def _shuffled_payload(order: list[int]) -> dict[str, Any]:
    alerts = [
        alert("DiskFilling", 0, "Disk 85% full, filling in 3 days.", node="n1"),
        alert("CheckoutErrors", 2, "12% of checkout requests failed.", service="checkout"),
        alert("CheckoutLatency", 3, "p99 latency is 2s.", service="checkout"),
    ]
    return {"alerts": [alerts[i] for i in order]}


@settings(max_examples=12, deadline=None)
@given(st.permutations([0, 1, 2]))
def test_severity_and_owner_do_not_depend_on_alert_order(order: list[int]) -> None:
    registry = load_registry()
    found = triage(registry, report(service="checkout", alert=_shuffled_payload(order)))
    baseline = triage(registry, report(service="checkout", alert=_shuffled_payload([0, 1, 2])))
    assert (found.severity, found.owner, found.severity_reason) == (
        baseline.severity,
        baseline.owner,
        baseline.severity_reason,
    )
    assert found.severity.value == "P1"
    assert "12% of requests failing in alert CheckoutErrors" in found.severity_reason


@pytest.mark.parametrize(
    ("text", "severity", "reason"),
    [
        ("carts emptied: cart data is being lost", "P1", "handbook P0 (service completely down"),
        ("4% of checkout requests failed", "P2", "handbook P2"),
        ("0.5% of checkout requests failed", "P3", "0.5% of requests failing"),
        ("checkout returns 5xx for 7% of requests", "P1", "7% of requests failing"),
        ("checkout crash looping (OOMKilled)", "P2", "handbook P2"),
        ("no requests reach checkout: traffic dropped 90% below last week", "P1", "traffic down"),
        ("all requests fail, but no user impact: test tenant only", "P3", "limited to P3"),
        ("every order fails to confirm by email; orders still go through", "P2", "limited to P2"),
    ],
)
def test_severity_follows_impact_not_words(
    registry: Registry, text: str, severity: str, reason: str
) -> None:
    found = triage(registry, report(text, service="checkout"))
    assert found.severity.value == severity
    assert reason in found.severity_reason


def test_a_node_down_is_degraded_until_users_are_hit(registry: Registry) -> None:
    node = alert("KubeNodeNotReady", 0, "node n1 has been unready for 2 minutes.", node="n1")
    alone = triage(registry, report("one node lost", alert={"alerts": [node]}))
    assert (alone.severity.value, alone.owner) == ("P2", "systems-administrator")
    errors = alert("CartErrors", 2, "9% of cart calls failed.", service="cart")
    both = triage(registry, report("cart errors", alert={"alerts": [errors, node]}))
    assert (both.severity.value, both.owner) == ("P1", "systems-administrator")
    assert "first alert to fire" in " ".join(both.evidence)


def test_a_diagnosis_outweighs_alerts(registry: Registry) -> None:
    payload = {"alerts": [alert("PostgresqlHighCPU", 0, "CPU 95%.", instance="pg-0")]}
    opened = triage(registry, report("slow pages", alert=payload))
    assert opened.owner == "database-administrator"
    note = EvidenceNote(
        kind="diagnosis",
        text="a NetworkPolicy change drops half the packets to pg-0; the database is healthy",
        by="Dana",
        at=T0,
    )
    after = triage(registry, report("slow pages", alert=payload), note)
    assert after.owner == "network-engineer"
    assert any("the diagnosis by Dana" in line for line in after.evidence)


def test_symptom_classes_are_named(registry: Registry) -> None:
    found = triage(
        registry,
        report('checkout p99 4s; "lookup payment: no such host"; pods OOMKilled; disk almost full'),
    )
    classes = {s.symptom for s in found.symptoms}
    assert {
        SymptomClass.LATENCY,
        SymptomClass.CONNECTIVITY,
        SymptomClass.CRASH,
        SymptomClass.CAPACITY,
    } <= classes


def test_the_component_level_always_names_a_specialist(registry: Registry) -> None:
    bug = triage(registry, report("NullPointerException in cart since release 3.2.0"))
    assert bug.owner == OWNING_TEAM
    assert bug.specialist in ("systems-administrator", "network-engineer", "database-administrator")


def test_two_letter_services_and_free_text_components() -> None:
    ad = report(service="ad", component=" DB ")
    assert (ad.service, ad.component) == ("ad", "database")
    assert report(component="Other").component is None
    assert report(component="Kafka  Brokers").component == "kafka brokers"
    for bad in ({"service": "a"}, {"service": "Ad"}, {"component": "db; rm -rf /"}):
        with pytest.raises(ValidationError):
            report(**bad)


def test_alert_payloads_keep_what_triage_needs() -> None:
    (one,) = parse_alerts(
        {
            "alerts": [
                {
                    "labels": {"alertname": "X", "severity": "Critical", "replicas": 3},
                    "annotations": {"summary": "S", "description": "D"},
                    "startsAt": "2026-12-01T10:00:00Z",
                    "status": "resolved",
                }
            ]
        }
    )
    assert one == Alert(
        name="X",
        status="resolved",
        severity="critical",
        labels={"alertname": "X", "severity": "Critical", "replicas": "3"},
        annotations={"summary": "S", "description": "D"},
        starts_at=T0,
    )
    assert one.text == "s d"


def _registry_file(tmp_path: Path, mutate: Any) -> Path:
    data = yaml.safe_load(default_registry_path().read_text())
    mutate(data)
    path = tmp_path / "registry.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_routing_vocabulary_is_registry_data(tmp_path: Path) -> None:
    """A shop names its own components in the registry; no code changes."""
    text = report("scylla-orders is timing out for every write")
    assert triage(load_registry(), text).owner == "site-reliability-engineer"

    def add_scylla(data: dict[str, Any]) -> None:
        owns = data["incident_routing"]["owns"]
        owns["INF-004"] = [*owns.pop("database-administrator"), "scylla"]  # IDs work too

    custom = load_registry(_registry_file(tmp_path, add_scylla))
    assert triage(custom, text).owner == "database-administrator"


def test_a_roster_without_routing_data_uses_the_packaged_one(tmp_path: Path) -> None:
    path = _registry_file(tmp_path, lambda data: data.pop("incident_routing"))
    loaded = load_registry(path)
    assert loaded.incident_routing == load_registry().incident_routing


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["incident_routing"]["owns"].update({"chef": ["x"]}), "incident_routing"),
        (lambda d: d["incident_routing"].update(handoff_topic="Nope"), "not an out_of_scope"),
        (lambda d: d["incident_routing"]["owns"].update({"INF-002": ["x"]}), "listed twice"),
        (lambda d: d["incident_routing"]["owns"].update({"network-engineer": ["DNS"]}), "lower"),
    ],
)
def test_broken_routing_data_is_refused(tmp_path: Path, mutate: Any, message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        load_registry(_registry_file(tmp_path, mutate))


@pytest.mark.parametrize(
    ("title", "description", "owner", "severity"),
    [
        ("Disk full", "disk full on db-01, writes failing", "database-administrator", "P2"),
        ("DNS", "nslookup fails for internal names from some pods", "network-engineer", "P2"),
        (
            "Checkout OOM",
            "checkout pods OOMKilled repeatedly; no code change in weeks",
            "site-reliability-engineer",
            "P2",
        ),
        ("Search", "HTTP 500 for accented queries since search 5.2 release", OWNING_TEAM, "P2"),
        (
            "Queue",
            "rabbitmq node down; publishers get connection refused",
            "database-administrator",
            "P2",
        ),
        ("Cert", "TLS certificate for www expires tomorrow", "network-engineer", "P2"),
        ("LB", "ELB 5xx at 8% after the target group change", "network-engineer", "P1"),
        ("Site", "the whole site is down, nothing loads", "site-reliability-engineer", "P1"),
    ],
)
def test_phrasings_outside_the_eval(
    registry: Registry, title: str, description: str, owner: str, severity: str
) -> None:
    """Rules are about kinds of evidence, not the eval's wording."""
    found = triage(registry, report(description, title=title, service="shop"))
    assert (found.owner, found.severity.value) == (owner, severity)


def test_a_dependency_that_is_down_is_not_the_service_being_down(registry: Registry) -> None:
    """An outage word on another component's alert (valkey-cart) is not cart's outage."""
    store = alert("RedisDown", 0, "valkey-cart is down.", service="valkey-cart")
    on_store = triage(registry, report("cart slower", alert={"alerts": [store]}))
    assert on_store.severity.value == "P2"
    own = alert("CartDown", 0, "cart is down.", service="cart")
    assert triage(registry, report("cart", alert={"alerts": [own]})).severity.value == "P1"
