"""Plain words become the change-request form: each field from what the text states, with
its evidence, and required gaps listed, never guessed."""

from __future__ import annotations

import pytest

from opsteam.domain.registry import Registry
from opsteam.intake.forms import prepare_form
from opsteam.intake.words import parse_words, to_request


def parsed(text: str, registry: Registry) -> dict[str, object]:
    return parse_words(text, registry, "tester").form


def test_fields_come_with_the_words_that_state_them(registry: Registry) -> None:
    words = parse_words(
        "we need a Postgres 16 database for billing in prod, RPO 5 minutes", registry, "me"
    )
    form = words.form
    assert (form["type"], form["environment"], form["engine"]) == ("New", "prod", "postgres")
    assert form["engine_version"] == "16" and form["rpo_minutes"] == 5
    assert form["service"] == "billing"
    assert "prod" in words.evidence["environment"] and "rpo 5" in words.evidence["rpo_minutes"]
    assert words.missing == []


def test_a_missing_environment_is_named_never_assumed(registry: Registry) -> None:
    words = parse_words("upgrade postgres to 16 on the billing db", registry, "me")
    assert words.missing == ["environment"]
    request, problems = to_request(words)
    assert request is None and problems[0].startswith("missing: environment")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("A Redis cache for the catalog service in dev", "New"),
        ("set up a VM in the qa environment for the load tests", "New"),
        ("add a read replica to the orders db in prod", "Modify"),
        ("the dev redis is way oversized, drop it to small", "Modify"),
        ("drop the legacy_id column from invoices in prod", "Modify"),
        ("tear down the memcached cluster in dev", "Remove"),
        ("payments.amount has to go from integer to numeric before the launch. prod", "Modify"),
    ],
)
def test_change_type_from_what_is_asked(text: str, kind: str, registry: Registry) -> None:
    assert parsed(text, registry)["type"] == kind


def test_environment_is_where_the_work_happens(registry: Registry) -> None:
    assert parsed("clone the prod schema into staging for tests", registry)["environment"] == (
        "staging"
    )
    assert parsed("staging first, then prod, for the new cache", registry)["environment"] == "prod"
    assert "environment" not in parsed("a cache in dev or maybe prod, not sure yet", registry)


def test_ports_in_urls_and_pasted_logs_are_not_asked_for(registry: Registry) -> None:
    url = parsed(
        "our app connects with postgres://u:pw@db.internal:5432/x, add a replica", registry
    )
    assert "ports" not in url
    log = (
        "raise client_idle_timeout on pgbouncer in prod\n2026-03-01T00:10:22Z WARN a@10.0.0.1:5012"
    )
    assert "ports" not in parsed(log, registry)
    assert parsed("open port 9100 to the monitoring vpc in prod", registry)["ports"] == [9100]


@pytest.mark.parametrize(
    ("text", "engine", "version"),
    [
        ("upgrade the orders mysql from 5.7 to 8.0 in prod", "mysql", "8.0"),
        ("upgrade redis 6 -> 7.2 on the staging cache", "redis", "7.2"),
        (
            "We're retiring MySQL. Migrate the catalog database to Postgres 15 in prod",
            "postgres",
            "15",
        ),
        ("apply the minor update on the prod billing postgres (16.2 -> 16.4)", "postgres", "16.4"),
    ],
)
def test_an_engine_change_reads_its_target(
    text: str, engine: str, version: str, registry: Registry
) -> None:
    form = parsed(text, registry)
    assert (form["engine"], form["engine_version"]) == (engine, version)


@pytest.mark.parametrize(
    ("text", "service"),
    [
        ("kill random pods of the cart service every 30 min in staging", "cart"),
        ("Hi! Inventory needs a MySQL 8.0 database in UAT", "inventory"),
        ("We're retiring MySQL. Migrate the catalog database to Postgres in prod", "catalog"),
        ("one VM for the payroll batch job in prod", "payroll"),
    ],
)
def test_the_service_named_in_the_text(text: str, service: str, registry: Registry) -> None:
    assert parsed(text, registry)["service"] == service


def test_third_parties_by_name(registry: Registry) -> None:
    vpn = "We need a site-to-site VPN to our logistics partner FastFreight in production"
    assert parsed(vpn, registry)["integrations"] == ["fastfreight"]
    hooks = "ShipBob wants to send us webhooks in staging; they need a public https endpoint"
    assert parsed(hooks, registry)["integrations"] == ["shipbob"]
    assert "integrations" not in parsed("Inventory needs a MySQL database in dev", registry)


def test_markup_is_not_a_request(registry: Registry) -> None:
    form = parsed(
        "<script>alert(1)</script> we need a TLS cert for status.acme.io in prod", registry
    )
    assert form["component"] == "load-balancer"


def test_a_form_description_fills_only_empty_optional_fields(registry: Registry) -> None:
    form = {
        "request": "Infrastructure Change",
        "type": "New",
        "component": "Cache",
        "description": "Redis 7 for search autocomplete, port 6379",
        "environment": "prod",
        "ports": [6380],
    }
    ready = prepare_form(form, registry.routing)
    assert (ready["engine"], ready["engine_version"]) == ("redis", "7")
    assert ready["ports"] == [6380], "a field the person filled is never overwritten"
    assert ready["environment"] == "prod" and ready["type"] == "New"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("the reporting service needs its own Redis in dev", "New"),
        ("need 6379 open from the batch subnet to the dev redis", "Modify"),
        ("the orders db backups need to be encrypted with a customer key in prod", "Modify"),
    ],
)
def test_owned_things_are_new_ports_are_not_counts(
    text: str, kind: str, registry: Registry
) -> None:
    assert parsed(text, registry)["type"] == kind


def test_an_undecided_form_field_is_missing_not_invalid(registry: Registry) -> None:
    form = prepare_form({"environment": "TBD", "type": "tbc"}, registry.routing)
    assert "environment" not in form
    assert "type" not in form


def test_technologies_and_network_segments_are_not_vendors(registry: Registry) -> None:
    text = "the fraud service needs its own MySQL in prod inside the PCI segment"
    assert "integrations" not in parsed(text, registry)


def test_a_scanner_finding_is_why_and_the_hosts_are_what(registry: Registry) -> None:
    from opsteam.intake.scope import redirect_for

    text = "Nessus found CVE-2025-1234 (openssl) on the staging machines. patch them please"
    assert redirect_for(text, text, registry) is None
    scan = "run a vulnerability scan of the prod hosts"
    assert redirect_for(scan, scan, registry) is not None
