"""The architect's pure decisions: components, specialists, checkpoints, risk."""

from __future__ import annotations

from opsteam.agents.architect import role as architect
from opsteam.domain.registry import Registry
from tests.conftest import RequestFactory


def _assigned(registry: Registry, design: object) -> list[str]:
    return [a.role for a in design.assignments]


def test_prod_database_gets_dba_network_and_checkpoints(
    make_request: RequestFactory, registry: Registry
) -> None:
    req = make_request(
        request="HA Postgres for billing",
        component="database",
        description="A highly available PostgreSQL database for billing.",
        environment="prod",
    )
    design = architect.decide(req, registry)
    assert _assigned(registry, design) == ["network-engineer", "database-administrator"]
    assert [c.kind for c in design.checkpoints] == ["architecture-change", "production-change"]
    assert design.engine is not None and design.engine.value == "postgres"
    assert len(design.zones) == 3
    assert design.risk.level == "high"


def test_a_new_dev_cache_asks_only_for_architecture_and_needs_no_sysadmin(
    make_request: RequestFactory, registry: Registry
) -> None:
    design = architect.decide(make_request(), registry)
    # a new data store is a new piece of the architecture in any environment; dev needs no
    # production approval
    assert [c.kind for c in design.checkpoints] == ["architecture-change"]
    assert "new cache" in design.checkpoints[0].reason
    assert _assigned(registry, design) == ["network-engineer", "database-administrator"]
    assert design.engine is not None and design.engine.value == "redis"
    assert design.risk.level == "low"


def test_only_needed_specialists_are_assigned(
    make_request: RequestFactory, registry: Registry
) -> None:
    servers = make_request(
        request="Decommission legacy reporting server",
        type="Remove",
        component="server",
        description="Retire the old reporting VM.",
    )
    design = architect.decide(servers, registry)
    assert _assigned(registry, design) == ["systems-administrator"]  # no traffic moves
    behind_lb = servers.model_copy(
        update={
            "description": "Pull the old reporting VM out of the load balancer, then delete it."
        }
    )
    design = architect.decide(behind_lb, registry)
    assert _assigned(registry, design) == ["systems-administrator", "network-engineer"]
    bucket = make_request(
        request="S3 backup bucket",
        component="storage",
        description="An S3 bucket for nightly backups.",
    )
    design = architect.decide(bucket, registry)
    assert _assigned(registry, design) == ["database-administrator"]


def test_checkpoint_kinds_are_detected(make_request: RequestFactory, registry: Registry) -> None:
    req = make_request(
        request="Add column to orders table",
        type="Modify",
        component="database",
        description="ALTER TABLE orders to add column; customers see new invoice fields.",
        integrations=["Stripe"],
        environment="staging",
    )
    kinds = [c.kind for c in architect.decide(req, registry).checkpoints]
    assert kinds == ["external-integration", "customer-schema-change"]
    cross = make_request(description="A Redis cache; also change the CI pipeline to warm it.")
    kinds = [c.kind for c in architect.decide(cross, registry).checkpoints]
    assert kinds == ["architecture-change", "cross-division"]


def test_feedback_revises_the_design(make_request: RequestFactory, registry: Registry) -> None:
    req = make_request()
    first = architect.decide(req, registry)
    _, revised = architect.revise(req, ("also add a bastion server",), registry)
    assert revised.revision == first.revision + 1
    assert "server" in revised.components and "server" not in first.components
    assert "systems-administrator" in _assigned(registry, revised)
    assert [(c.field, c.value) for c in revised.changes] == [("add component", "server")]


def test_maintenance_window_is_reported_in_utc(
    make_request: RequestFactory, registry: Registry
) -> None:
    req = make_request(
        environment="prod",
        maintenance_window={"start": "2026-12-01T03:00:00+01:00", "duration_minutes": 90},
    )
    design = architect.decide(req, registry)
    assert design.maintenance_window == "2026-12-01 02:00 - 2026-12-01 03:30 UTC"
    assert (
        architect.decide(make_request(environment="prod"), registry).maintenance_window
        == "not scheduled"
    )


def test_decide_is_pure(make_request: RequestFactory, registry: Registry) -> None:
    req = make_request(
        environment="prod",
        component="kubernetes",
        description="Public web service on Kubernetes behind a load balancer.",
    )
    assert architect.decide(req, registry) == architect.decide(req, registry)
    assert architect.decide(req, registry).public_endpoint is True


def test_an_in_place_schema_change_needs_only_the_dba(
    make_request: RequestFactory, registry: Registry
) -> None:
    schema = make_request(
        request="Add delivery preferences to the orders schema",
        type="Modify",
        component="database",
        description="Schema migration on the orders PostgreSQL database: add column.",
        environment="prod",
    )
    design = architect.decide(schema, registry)
    assert _assigned(registry, design) == ["database-administrator"]
    opened = make_request(
        request="Open the orders database to the reporting subnet",
        type="Modify",
        component="database",
        description="Allow the reporting subnet to reach the orders PostgreSQL database.",
        ports=[5432],
    )
    design = architect.decide(opened, registry)
    # a firewall rule in front of a database is the network's; the store itself is unchanged
    assert _assigned(registry, design) == ["network-engineer"]
