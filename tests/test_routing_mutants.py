"""Routing survivors of the mutation run (docs/security.md): behaviour the suite did not pin.

The labelled eval cases are the routing spec; ``opsteam eval`` only checks its overall
targets, so a change that breaks one case the team gets right today can pass it. Here every
case that passes stays passing, and a case that fails fails only the way it fails today.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from opsteam.agents.architect import role as architect
from opsteam.agents.architect.assign import assignments_for, checkpoints_for
from opsteam.application.request_eval import load_cases, run_eval
from opsteam.domain.intent import Fact, Intent
from opsteam.domain.models import ChangeRequest, ValidationResult, ValidationStatus
from opsteam.domain.registry import Registry, default_registry_path
from opsteam.domain.request_routing import DesignComponent, FactKind, RequestRouting
from opsteam.graphs import routing
from tests.conftest import RequestFactory

ROOT = Path(__file__).resolve().parent.parent
KNOWN_MISSES = Path(__file__).resolve().parent / "snapshots" / "request_eval_misses.json"


def test_every_labelled_case_the_team_gets_right_stays_right(registry: Registry) -> None:
    known: dict[str, list[str]] = json.loads(KNOWN_MISSES.read_text(encoding="utf-8"))
    score = run_eval(load_cases(ROOT / "evals" / "requests"), registry)
    new = {
        out.case.id: sorted(set(problems) - set(known.get(out.case.id, [])))
        for out, problems in score.failures
    }
    new = {case: problems for case, problems in new.items() if problems}
    assert not new, (
        f"eval cases newly wrong: {new} (an intended trade-off goes into {KNOWN_MISSES.name})"
    )
    assert score.passed, score.missed_targets


def _request(make_request: RequestFactory, **fields: str) -> ChangeRequest:
    return make_request(**{"environment": "dev", **fields})


def _fact(kind: FactKind, detail: str, context: bool = False) -> Fact:
    return Fact(kind=kind, detail=detail, evidence=detail, context=context)


def test_checkpoints_carry_the_facts_that_raised_them(
    make_request: RequestFactory, registry: Registry
) -> None:
    request = make_request(environment="prod", component="database", engine="postgres")
    design = architect.decide(request, registry)
    facts = {c.kind: c.facts for c in design.checkpoints}
    assert facts["production-change"] == ["production (environment: prod)"]
    assert facts["architecture-change"] == ["new database (components)"]
    [network] = [a for a in design.assignments if a.role == "network-engineer"]
    assert network.facts == ["new database (components)"]


def test_watching_work_stays_with_sre_unless_it_changes_data_or_adds_a_vendor(
    make_request: RequestFactory, registry: Registry
) -> None:
    request = _request(make_request, type="Modify", component="database")

    def roles(*facts: Fact) -> list[str]:
        intent = Intent(components=["database"], facts=list(facts), watching=True)
        return [a.role for a in assignments_for(request, intent, ["database"], registry)]

    assert roles() == []
    # A vendor named only as context (the reason) is no new integration.
    assert roles(_fact("third_parties", "datadog", context=True)) == []
    assert roles(_fact("third_parties", "datadog")) != []
    assert roles(_fact("schemas", "index")) == ["database-administrator"]
    assert roles(_fact("data_work", "retention")) == ["database-administrator"]


def test_a_new_store_is_an_architecture_change_when_the_form_or_the_words_ask_for_it(
    make_request: RequestFactory, registry: Registry
) -> None:
    def kinds(request: ChangeRequest, components: list[DesignComponent], *facts: Fact) -> list[str]:
        intent = Intent(components=components, facts=list(facts))
        return [c.kind for c in checkpoints_for(request, intent, components, registry)]

    form_db = _request(make_request, component="database", engine="postgres")
    assert kinds(form_db, ["database"]) == ["architecture-change"]
    server = _request(make_request, component="server")
    assert kinds(server, ["server", "cache"]) == []  # a cache named as context only
    asked = kinds(server, ["server", "cache"], _fact("data_stores", "cache"))
    assert asked == ["architecture-change"]


def test_failures_keep_every_failing_result_and_name_a_bare_failure() -> None:
    def failed(path: str) -> ValidationResult:
        return ValidationResult(path=path, validator="tflint", status=ValidationStatus.FAILED)

    found = routing.failures([failed("a.tf"), failed("b.tf")])
    assert [(f.validator, f.check_id, f.file) for f in found] == [
        ("tflint", "tflint", "a.tf"),
        ("tflint", "tflint", "b.tf"),
    ]
    assert routing.tally([]) == "none run"


def test_routing_words_must_be_lower_case_and_non_empty() -> None:
    data = yaml.safe_load(default_registry_path().read_text(encoding="utf-8"))["request_routing"]
    assert RequestRouting.model_validate(data).facts["exposure"]
    for bad in (["Redis"], [""], [" tls"], ["A", "B", "C", "D"]):
        broken = {**data, "facts": {**data["facts"], "exposure": bad}}
        with pytest.raises(ValueError) as err:
            RequestRouting.model_validate(broken)
        shown = bad[:3]
        assert f"facts.exposure: words must be lower-case and non-empty, got {shown}" in str(
            err.value
        )


def _design(
    request: ChangeRequest, registry: Registry, components: list[DesignComponent], *facts: Fact
) -> tuple[dict[str, list[str]], dict[str, tuple[str, list[str]]]]:
    """Tasks per assigned role, and (reason, facts) per checkpoint, from a hand-made intent."""
    intent = Intent(components=components, facts=list(facts))
    roles = {a.role: a.tasks for a in assignments_for(request, intent, components, registry)}
    needs = {
        c.kind: (c.reason, c.facts) for c in checkpoints_for(request, intent, components, registry)
    }
    return roles, needs


@pytest.mark.parametrize(
    ("change", "tasks"),
    [
        ("New", ["provision hosts", "apply the hardening baseline", "set the patch window"]),
        ("Modify", ["change the hosts' baseline", "patch or resize with a rolling window"]),
        ("Remove", ["decommission hosts safely"]),
    ],
)
def test_host_work_follows_the_change_type(
    change: str, tasks: list[str], make_request: RequestFactory, registry: Registry
) -> None:
    request = _request(make_request, type=change, component="server")
    roles, _ = _design(request, registry, ["server"])
    assert roles["systems-administrator"] == tasks
    # Hosts named only as context are no host work.
    db = _request(make_request, type="Modify", component="database")
    roles, _ = _design(db, registry, ["database"], _fact("hosts", "vm", context=True))
    assert "systems-administrator" not in roles
    roles, _ = _design(db, registry, ["database"], _fact("hosts", "vm"))
    assert "systems-administrator" in roles


def test_the_network_works_on_asked_traffic_new_vendors_and_new_placements(
    make_request: RequestFactory, registry: Registry
) -> None:
    modify = _request(make_request, type="Modify", component="other")
    new = _request(make_request, type="New", component="other")
    assert (
        "network-engineer" not in _design(modify, registry, [], _fact("exposure", "port", True))[0]
    )
    assert "network-engineer" in _design(modify, registry, [], _fact("exposure", "port"))[0]
    vendor = _fact("third_parties", "stripe")
    assert "network-engineer" in _design(new, registry, [], vendor)[0]
    assert (
        "network-engineer"
        not in _design(new, registry, [], _fact("third_parties", "stripe", True))[0]
    )
    fixed = Intent(components=[], facts=[vendor], existing_integration=True)
    assert assignments_for(new, fixed, [], registry) == []
    placed = assignments_for(
        new, Intent(components=["database", "server"]), ["database", "server"], registry
    )
    [network] = [a for a in placed if a.role == "network-engineer"]
    assert network.facts[0] == "new database, server (components)"


def test_new_services_and_stores_are_named_in_the_architecture_checkpoint(
    make_request: RequestFactory, registry: Registry
) -> None:
    new = _request(make_request, type="New", component="kubernetes")
    web: list[DesignComponent] = ["web", "kubernetes"]
    assert _design(new, registry, web)[1]["architecture-change"][0] == "adds a new service"
    # Egress for existing pods is traffic, not a new service; said as context it still is.
    assert (
        "architecture-change" not in _design(new, registry, web, _fact("connectivity", "egress"))[1]
    )
    context = _design(new, registry, web, _fact("connectivity", "egress", context=True))[1]
    assert "architecture-change" in context
    stores = _request(make_request, type="New", component="database", engine="postgres")
    reason = _design(stores, registry, ["database", "cache"])[1]["architecture-change"][0]
    assert reason == "adds a new cache, database"
    bucket = _request(make_request, type="New", component="storage", environment="prod")
    needs = _design(bucket, registry, ["object-storage"])[1]
    assert needs["architecture-change"][0] == "adds a new object-storage"
    assert needs["production-change"] == ("changes production", ["production (environment: prod)"])


def test_integration_and_schema_checkpoints_name_what_they_are_about(
    make_request: RequestFactory, registry: Registry
) -> None:
    new = _request(make_request, type="New", component="other")
    two = _design(
        new, registry, [], _fact("third_parties", "stripe"), _fact("third_parties", "twilio")
    )
    assert two[1]["external-integration"][0] == "integrates stripe, twilio"
    modify = _request(make_request, type="Modify", component="database", environment="prod")
    schemas = (_fact("schemas", "index"), _fact("schemas", "column"))
    reason = _design(modify, registry, ["database"], *schemas)[1]["customer-schema-change"][0]
    assert reason == "schema change (index, column) on production data"
    assert "customer-schema-change" in _design(modify, registry, ["cache"], *schemas)[1]
    assert "customer-schema-change" not in _design(modify, registry, ["server"], *schemas)[1]
    said = _design(modify, registry, ["database"], _fact("schemas", "index", context=True))[1]
    assert "customer-schema-change" not in said
    staging = _request(make_request, type="Modify", component="database", environment="staging")
    customers = _design(staging, registry, ["database"], *schemas, _fact("customers", "customers"))
    assert customers[1]["customer-schema-change"][0] == (
        "schema change (index, column) on customer data"
    )
    drop = _request(make_request, type="Remove", component="database", environment="prod")
    assert _design(drop, registry, ["database"])[1]["customer-schema-change"] == (
        "removes a production database",
        ["drops a production database (type: Remove)"],
    )


def test_cross_division_work_names_the_owning_divisions(
    make_request: RequestFactory, registry: Registry
) -> None:
    request = _request(make_request)

    def who(*details: str) -> str:
        facts = [_fact("other_divisions", d) for d in details]
        return _design(request, registry, ["cache"], *facts)[1]["cross-division"][0]

    assert who("ci") == "also involves Engineering Foundation"
    both = who("ci", "vulnerability scan")
    assert both == "also involves Engineering Foundation, Quality & Security Engineering"
    assert who("the marketing team") == "also involves another division"


def _assigned(
    request: ChangeRequest, registry: Registry, components: list[DesignComponent], *facts: Fact
) -> dict[str, tuple[str, list[str], list[str]]]:
    intent = Intent(components=components, facts=list(facts))
    return {
        a.role: (a.reason, a.tasks, a.facts)
        for a in assignments_for(request, intent, components, registry)
    }


def test_each_assignment_states_its_reason_tasks_and_facts(
    make_request: RequestFactory, registry: Registry
) -> None:
    new = _request(make_request, type="New", component="kubernetes")
    comps: list[DesignComponent] = ["web", "kubernetes", "database", "server", "vpn"]
    team = _assigned(new, registry, comps, _fact("hosts", "vm"), _fact("hosts", "os", True))
    assert team["systems-administrator"] == (
        "the change touches hosts",
        ["provision hosts", "apply the hardening baseline", "set the patch window"],
        ["vm"],
    )
    assert team["network-engineer"] == (
        "the change moves traffic, placement or connectivity",
        ["plan VPC and subnets", "least-privilege firewall rules", "DNS and load balancer / TLS",
         "VPN connectivity"],
        ["vpn (components)", "new database, kubernetes, server, vpn, web (components)"],
    )  # fmt: skip
    assert team["database-administrator"] == (
        "the change stores or changes data",
        ["engine, sizing and HA", "backups meeting the RPO"],
        ["database (components)"],
    )
    bare = _assigned(new, registry, ["server"], _fact("hosts", "os", True))
    assert bare["systems-administrator"][2] == ["server"]
    assert bare["network-engineer"][1] == ["plan VPC and subnets", "least-privilege firewall rules"]


def test_the_dba_works_on_asked_data_not_on_a_rule_in_front_of_it(
    make_request: RequestFactory, registry: Registry
) -> None:
    modify = _request(make_request, type="Modify", component="database")
    db: list[DesignComponent] = ["database"]
    work = _assigned(modify, registry, db, _fact("data_work", "retention"))
    assert work["database-administrator"][1:] == (
        ["engine, sizing and HA", "backups meeting the RPO", "migration and rollback plan"],
        ["retention"],
    )
    assert _assigned(modify, registry, db, _fact("schemas", "index"))["database-administrator"][
        2
    ] == ["index"]
    named = _assigned(modify, registry, db, _fact("data_stores", "orders db"))
    assert named["database-administrator"][2] == ["orders db"]
    said = _assigned(modify, registry, db, _fact("data_stores", "orders db", True))
    assert said["database-administrator"][2] == ["database (components)"]
    # A firewall rule in front of a database is the network's work alone...
    rule = _assigned(modify, registry, db, _fact("exposure", "port"))
    assert "database-administrator" not in rule and "network-engineer" in rule
    # ...but a port named only as context leaves the database work to the DBA.
    assert "database-administrator" in _assigned(
        modify, registry, db, _fact("exposure", "port", True)
    )


def test_facts_show_their_evidence_and_context_counts_unless_asked_only() -> None:
    assert str(_fact("hosts", "vm")) == "vm"
    assert str(Fact(kind="hosts", detail="vm", evidence="resize the VM")) == "vm (resize the VM)"
    intent = Intent(components=[], facts=[_fact("hosts", "vm", True)])
    assert intent.has("hosts") and intent.of("hosts") == intent.facts
    assert not intent.has("hosts", asked=True)


def test_the_network_is_told_which_edge_and_placement_it_works_on(
    make_request: RequestFactory, registry: Registry
) -> None:
    new = _request(make_request, type="New", component="database")
    region = (_fact("placement", "eu-west-1"), _fact("placement", "us-east-1", True))
    placed = _assigned(new, registry, ["database"], *region)["network-engineer"]
    assert placed[2] == ["new database (components)", "eu-west-1"]
    modify = _request(make_request, type="Modify", component="dns")
    edge = _assigned(modify, registry, ["dns", "load-balancer"])["network-engineer"]
    assert edge[2] == ["dns, load-balancer (components)"]
    for one in ("dns", "load-balancer"):
        tasks = _assigned(modify, registry, [one])["network-engineer"][1]
        assert tasks == ["least-privilege firewall rules", "DNS and load balancer / TLS"]
