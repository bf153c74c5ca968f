"""Done-when of issue 15 through the CLI: hand-off, re-routing, evidence, the resolve gate.

Each CLI invocation opens its own store and checkpointer, as a separate process would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from test_incident_cli import failing
from test_incident_flow import Cli, iso

CART_ALERTS = {
    "receiver": "oncall",
    "status": "firing",
    "alerts": [
        {  # the knock-on alert arrives first in the payload
            "status": "firing",
            "labels": {"alertname": "RedisLowOps", "severity": "warning", "service": "valkey-cart"},
            "annotations": {"description": "valkey-cart executes 70% fewer commands."},
            "startsAt": iso(3),
        },
        {
            "status": "firing",
            "labels": {"alertname": "CartHighErrorRate", "severity": "critical", "service": "cart"},
            "annotations": {"description": "22% of cart calls failed over 5 minutes."},
            "startsAt": iso(1),
        },
    ],
}
DNS_ALERTS = {
    "alerts": [
        {
            "labels": {"alertname": "CoreDNSErrorsHigh", "job": "coredns", "rcode": "SERVFAIL"},
            "annotations": {"description": "CoreDNS is returning SERVFAIL for 30% of requests."},
            "startsAt": iso(8),
        },
        {
            "labels": {"alertname": "CheckoutHighErrorRate", "service": "checkout"},
            "annotations": {"description": "12% of checkout requests returned 5xx."},
            "startsAt": iso(9),
        },
    ]
}


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPSTEAM_DATABASE_URL", "OPSTEAM_CHECKPOINT_URL", "OPSTEAM_HOME"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "home")


def payload(cli: Cli, name: str, data: dict[str, Any]) -> str:
    path = cli.home.parent / name
    path.write_text(yaml.safe_dump(data))
    return str(path)


def open_args(service: str, title: str, description: str, *extra: str) -> list[str]:
    return [
        "incident",
        "open",
        "--title",
        title,
        "--description",
        description,
        "--service",
        service,
        "--detected-at",
        iso(5),
        "--now",
        iso(5),
        *extra,
    ]


def kinds(shown: dict[str, Any]) -> list[str]:
    return [e["kind"] for e in shown["timeline"]]


def test_an_application_bug_is_handed_off_then_rerouted_by_hand(cli: Cli) -> None:
    alerts = payload(cli, "cart.yaml", CART_ALERTS)
    description = "NullPointerException in CartService.Checkout since cart 3.2.0 rolled out"
    opened = cli(*open_args("cart", "Cart errors", description, "--alert", alerts), code=3)
    assert (opened["severity"], opened["owner"]) == ("P1", "Site Reliability Engineer")
    assert opened["handed_to"] == "the cart team, the owning domain division"
    assert opened["specialist"] == "Database Administrator"  # the data store the evidence names
    assert opened["knock_on"] == [
        "availability at valkey-cart (alert RedisLowOps (service=valkey-cart))"
    ]
    handed = next(e for e in opened["events"] if e.startswith("Handed to"))
    assert "application fault (nullpointer, nullpointerexception, since cart 3.2.0" in handed
    assert "Site Reliability Engineer remains incident commander" in handed
    assert "Knock-on symptoms, not causes: availability at valkey-cart" in handed
    iid = opened["id"]

    cli("incident", "update", iid, "--decision", "page the cart team", "--now", iso(6))
    ticked = cli("incident", "tick", "--now", iso(36))
    assert ticked[0]["escalation_level"] == "component-owner"
    assert ticked[0]["held_by"] == "Database Administrator"  # a specialist, not the commander

    rerouted = cli(
        "incident", "update", iid, "--owner", "Network Engineer", "--by", "Dana", "--now", iso(37)
    )
    assert (rerouted["owner"], rerouted["handed_to"]) == ("Network Engineer", None)
    assert rerouted["held_by"] == "Network Engineer"
    assert rerouted["events"] == [
        "Re-routed from the cart team, the owning domain division to the Network Engineer: "
        "owner set by Dana. Now held by the Network Engineer. Knock-on symptoms, not causes: "
        "availability at valkey-cart (alert RedisLowOps (service=valkey-cart))."
    ]
    # evidence after a person chose the owner is recorded but does not move it
    noted = cli(
        "incident",
        "update",
        iid,
        "--diagnosis",
        "postgres primary disk full",
        "--now",
        iso(38),
    )
    assert noted["owner"] == "Network Engineer"
    assert noted["events"][-1].startswith(
        "Triage now points to the Database Administrator; the owner stays the Network "
        "Engineer, as set by Dana."
    )
    resolved = cli("incident", "resolve", iid, "--root-cause", "bad null check", "--now", iso(40))
    postmortem = resolved["postmortem"]
    assert "| Fault owner | Network Engineer |" in postmortem
    assert "| 2026-11-22 10:05 UTC | Handed to the cart team" in postmortem
    assert "| 2026-11-22 10:37 UTC | Re-routed from the cart team" in postmortem
    shown = cli("incident", "show", iid)
    assert kinds(shown).count("rerouted") == 1 and "handed-off" in kinds(shown)
    assert shown["handed_to"] is None and shown["triage"]["owner"] == "Database Administrator"


def test_new_alerts_reroute_and_raise_severity(cli: Cli) -> None:
    opened = cli(*open_args("checkout", "Checkout slow", "checkout p99 latency doubled"))
    assert (opened["severity"], opened["owner"]) == ("P2", "Site Reliability Engineer")
    assert opened["handed_to"] is None
    alerts = payload(cli, "dns.yaml", DNS_ALERTS)
    updated = cli("incident", "update", opened["id"], "--alert", alerts, "--now", iso(10), code=3)
    assert (updated["severity"], updated["owner"]) == ("P1", "Network Engineer")
    assert updated["waiting_for_human"] is True
    events = updated["events"]
    assert events[0] == "Alert evidence added by incident commander: CoreDNSErrorsHigh, " + (
        "CheckoutHighErrorRate"
    )
    assert events[1].startswith("Severity P2 -> P1: P1: handbook P1")
    assert events[2].startswith(
        "Re-routed from the Site Reliability Engineer to the Network Engineer: the evidence "
        "points to the Network Engineer. Evidence: alert CoreDNSErrorsHigh"
    )
    assert events[3] == "Human decision requested: major incident: P1 in production"
    (sent,) = updated["sent"]  # the severity change went out as an incident update
    assert "SEVERITY: P1\n" in sent and "IMPACT: outage or high error rate for checkout" in sent


@pytest.mark.parametrize(
    ("option", "text", "owner"),
    [
        ("--note", "found it: the postgres primary ran out of disk", "Database Administrator"),
        ("--diagnosis", "kubelet on node ip-10-0-1-5 is down", "Systems Administrator"),
        ("--component", "kafka", "Database Administrator"),
    ],
)
def test_a_diagnosis_a_note_or_a_component_reroutes(
    cli: Cli, option: str, text: str, owner: str
) -> None:
    opened = cli(*open_args("orders", "Orders slow", "orders p99 latency doubled"))
    assert opened["owner"] == "Site Reliability Engineer"
    updated = cli("incident", "update", opened["id"], option, text, "--now", iso(9))
    assert updated["owner"] == owner
    assert any(
        e.startswith(f"Re-routed from the Site Reliability Engineer to the {owner}")
        for e in updated["events"]
    )


def test_resolve_refuses_while_a_decision_is_pending(cli: Cli) -> None:
    opened = cli(*open_args("checkout", "Checkout down", "checkout is down for everyone"), code=3)
    iid = opened["id"]
    failing(
        cli,
        "incident",
        "resolve",
        iid,
        "--root-cause",
        "restarted",
        "--now",
        iso(20),
        message=f"{iid}: a human decision is pending (major incident: P1 in production)",
    )
    resolved = cli(
        "incident",
        "resolve",
        iid,
        "--root-cause",
        "restarted",
        "--decision",
        "accept closure, the service is back",
        "--by",
        "Dana",
        "--now",
        iso(20),
    )
    assert resolved["status"] == "Resolved"
    assert resolved["events"][0] == (
        "Human decision by Dana at resolution (pending: major incident: P1 in production): "
        "accept closure, the service is back"
    )
    assert (
        "- 2026-11-22 10:20 UTC, Dana: accept closure, the service is back"
        in (resolved["postmortem"])
    )


def test_two_letter_service_names_are_real_names(cli: Cli) -> None:
    opened = cli(*open_args("ad", "Ads missing", "ad service errors; pages otherwise work"))
    assert opened["title"] == "Ads missing"
    failing(cli, *open_args("a", "x", "y"), message="'a' is not a service slug (2-40")


def test_bad_owner_and_unchanged_owner_are_refused(cli: Cli) -> None:
    iid = cli(*open_args("orders", "Orders slow", "orders p99 latency doubled"))["id"]
    failing(
        cli,
        "incident",
        "update",
        iid,
        "--owner",
        "chef",
        "--now",
        iso(9),
        message="owner: unknown owner 'chef' (expected one of infrastructure-architect",
    )
    failing(
        cli,
        "incident",
        "update",
        iid,
        "--owner",
        "site-reliability-engineer",
        "--now",
        iso(9),
        message="nothing to update: owner is already site-reliability-engineer",
    )
    empty = payload(cli, "empty.yaml", {"alerts": []})
    failing(cli, "incident", "update", iid, "--alert", empty, "--now", iso(9), message="no alert")
