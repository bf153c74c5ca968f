"""The typed intent: facts with their evidence, from what is asked (not from reasons,
markup or quoted text), that routing and checkpoints are decided from."""

from __future__ import annotations

from opsteam.agents.architect import role as architect
from opsteam.domain.registry import Registry
from opsteam.intake.intent import understand
from opsteam.intake.words import parse_words, to_request


def design_of(text: str, registry: Registry) -> tuple[list[str], list[str]]:
    request, problems = to_request(parse_words(text, registry, "tester"))
    assert request is not None, problems
    design = architect.decide(request, registry)
    return [a.role for a in design.assignments], [c.kind for c in design.checkpoints]


def kinds(text: str, registry: Registry) -> set[str]:
    request, _ = to_request(parse_words(text, registry, "tester"))
    assert request is not None
    return {f.kind for f in understand(request, registry).facts if not f.context}


def test_reasons_are_not_the_ask(registry: Registry) -> None:
    team, checkpoints = design_of(
        "add a nullable marketing_opt_in flag to the customers table in staging ahead of "
        "the signup redesign",
        registry,
    )
    assert "architecture-change" not in checkpoints  # the redesign is the app's, not ours
    assert checkpoints == ["customer-schema-change"] and team == ["database-administrator"]


def test_moves_between_platforms_are_architecture_and_traffic(registry: Registry) -> None:
    team, checkpoints = design_of(
        "we want to migrate off our self-managed kubeadm clusters onto EKS, prod included",
        registry,
    )
    assert "architecture-change" in checkpoints and "network-engineer" in team
    team, checkpoints = design_of(
        "move the prod api hosts from CentOS 7 to Rocky 9, centos is EOL", registry
    )
    assert "architecture-change" not in checkpoints and team == ["systems-administrator"]


def test_a_cutover_moves_traffic_without_changing_the_architecture(registry: Registry) -> None:
    team, checkpoints = design_of(
        "cut the reporting service's reads over from the primary to the new read replica in "
        "staging",
        registry,
    )
    assert "network-engineer" in team and "architecture-change" not in checkpoints


def test_a_column_by_its_shape_is_a_schema_change(registry: Registry) -> None:
    team, checkpoints = design_of(
        "from now on every subscription row in prod must have a plan_id. make it required",
        registry,
    )
    assert team == ["database-administrator"]
    assert "customer-schema-change" in checkpoints and "production-change" in checkpoints


def test_a_named_division_is_cross_division_and_our_own_is_not(registry: Registry) -> None:
    assert "other_divisions" in kinds(
        "the Data & Analytics division wants their VPC peered with our prod VPC", registry
    )
    assert "other_divisions" not in kinds(
        "already approved by the division lead: allow outbound 443 from the prod payments pods",
        registry,
    )


def test_a_form_filed_by_another_division_is_cross_division(registry: Registry) -> None:
    from opsteam.domain.models import ChangeRequest

    request = ChangeRequest.model_validate(
        {
            "request": "Infrastructure Change",
            "type": "Remove",
            "component": "EC2",
            "description": "terminate the three idle build instances",
            "justification": "unused",
            "timeline": "end of month",
            "impact": "none",
            "requester": "Engineering Foundation",
            "environment": "dev",
        }
    )
    design = architect.decide(request, registry)
    cross = [c for c in design.checkpoints if c.kind == "cross-division"]
    assert cross and "Engineering Foundation" in cross[0].reason


def test_every_fact_carries_the_words_that_caused_it(registry: Registry) -> None:
    request, _ = to_request(
        parse_words("open 443 from 203.0.113.0/24 to the bastion in prod", registry, "me")
    )
    assert request is not None
    facts = understand(request, registry).facts
    assert facts and all(f.evidence for f in facts)
    assert any(f.kind == "exposure" and "443" in f.detail for f in facts)


def test_a_store_of_its_own_is_new_and_an_architecture_change(registry: Registry) -> None:
    _, checkpoints = design_of("The ledger service needs its own Postgres 16 in staging", registry)
    assert "architecture-change" in checkpoints


def test_everyday_words_that_are_vendor_names_are_not_vendors(registry: Registry) -> None:
    in_segment = "a new MySQL for invoicing in dev, in the isolated network segment"
    _, checkpoints = design_of(in_segment, registry)
    assert "external-integration" not in checkpoints
    _, checkpoints = design_of("send the signup events from prod to Segment", registry)
    assert "external-integration" in checkpoints


def test_third_parties_by_how_we_start_working_with_them(registry: Registry) -> None:
    for text in (
        "the returns service needs to start calling UPS's Returns API from prod",
        "we want to start using Pingdom for uptime checks on the prod load balancer",
    ):
        _, checkpoints = design_of(text, registry)
        assert "external-integration" in checkpoints, text


def test_time_between_steps_is_not_connectivity(registry: Registry) -> None:
    text = "patch the zookeeper hosts in staging, one at a time, pause between each node"
    assert "connectivity" not in kinds(text, registry)
    assert "connectivity" in kinds("set up peering between the dev VPC and the ops VPC", registry)


def test_a_customer_table_backfill_before_prod_pauses(registry: Registry) -> None:
    text = "backfill subscriptions.plan_tier where it's null in staging, then add NOT NULL"
    _, checkpoints = design_of(text, registry)
    assert "customer-schema-change" in checkpoints
