"""The address plan: VPC ranges from a configurable pool, never overlapping a range opsteam
allocated before (history store) or one the requester uses; shared networks are used, not
created; the stacks opsteam built are remembered (migration 0004) for later changes."""

from __future__ import annotations

from datetime import UTC, datetime
from ipaddress import IPv4Network
from pathlib import Path

import ops_db
import pytest
import sqlalchemy as sa
from test_incident_migration import migrate

from opsteam.agents.architect import role as architect
from opsteam.agents.base import RoleContext
from opsteam.agents.network import role as network
from opsteam.application.db import make_engine, open_store
from opsteam.application.service import Opsteam
from opsteam.application.stacks import (
    built_stacks,
    current_built_stacks,
    current_stacks,
    record_stack,
)
from opsteam.domain.inputs import BuiltStack, RunInputs
from opsteam.domain.registry import Registry
from opsteam.domain.settings import load_settings
from tests.conftest import RequestFactory
from tests.fakes import ParseOnlyVerifier

db_url = ops_db.db_url  # SQLite, and PostgreSQL when configured (required under CI)
postgres_url = ops_db.postgres_url
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
WEB = {
    "component": "kubernetes",
    "request": "Orders web service",
    "description": "Run the orders web service on Kubernetes behind a load balancer.",
}


def built(prefix: str, cidr: str, thread: str = "t-1") -> BuiltStack:
    return BuiltStack(
        thread_id=thread,
        prefix=prefix,
        region="us-east-1",
        state_bucket=f"{prefix}-tfstate",
        state_key=f"{prefix}/stack/terraform.tfstate",
        vpc_cidr=IPv4Network(cidr),
        outputs=["vpc_id"],
    )


def plan_for(registry: Registry, request: object, inputs: RunInputs) -> object:
    design = architect.decide(request, registry)  # type: ignore[arg-type]
    ctx = RoleContext(registry=registry, design=design, inputs=inputs)
    return network.decide(request, ctx)  # type: ignore[arg-type]


def test_a_new_vpc_avoids_ranges_opsteam_allocated_and_the_requesters(
    registry: Registry, make_request: RequestFactory
) -> None:
    request = make_request(**WEB, service="orders", existing_cidrs=["10.0.16.0/20"])
    taken = RunInputs(stacks=[built("billing-dev", "10.0.0.0/20")])
    vpc = IPv4Network(plan_for(registry, request, taken).vpc_cidr)  # type: ignore[attr-defined]
    assert not vpc.overlaps(IPv4Network("10.0.0.0/20"))
    assert not vpc.overlaps(IPv4Network("10.0.16.0/20"))
    assert vpc.subnet_of(IPv4Network("10.0.0.0/8"))


def test_the_pool_is_configurable_and_a_stack_keeps_its_own_range(
    registry: Registry, make_request: RequestFactory
) -> None:
    pool = load_settings({"OPSTEAM_ADDRESS_POOL": "100.64.0.0/10"}).address_pool
    request = make_request(**WEB, service="orders")
    vpc = plan_for(registry, request, RunInputs(address_pool=pool)).vpc_cidr  # type: ignore[attr-defined]
    assert IPv4Network(vpc).subnet_of(IPv4Network("100.64.0.0/10"))
    again = RunInputs(address_pool=pool, stacks=[built("orders-dev", "100.64.0.0/20")])
    assert plan_for(registry, request, again).vpc_cidr == "100.64.0.0/20"  # type: ignore[attr-defined]


def test_a_request_in_a_shared_network_creates_no_vpc(
    registry: Registry, make_request: RequestFactory
) -> None:
    words = make_request(**{**WEB, "description": "Run orders in the shared dev VPC."})
    hint = make_request(**WEB, existing_network=True, existing_cidrs=["10.40.0.0/16"])
    off = make_request(**{**WEB, "description": "In the shared dev VPC."}, existing_network=False)
    assert architect.uses_existing_network(words) and architect.uses_existing_network(hint)
    assert not architect.uses_existing_network(off)  # the hint wins over the words
    assert not architect.uses_existing_network(make_request(**WEB))
    plan = plan_for(registry, hint, RunInputs())
    assert plan.existing_vpc and plan.subnets == [] and plan.nat_zones == []  # type: ignore[attr-defined]
    assert plan.vpc_cidr == "10.40.0.0/16"  # type: ignore[attr-defined]
    with pytest.raises(ValueError):
        make_request(**WEB, existing_network="yes")  # strict: a bool, not a word


def test_two_requests_in_one_home_get_ranges_that_never_overlap(tmp_path: Path) -> None:
    """Through the service: the first run's range is recorded when it completes; the second
    run reads it before it starts (and a third in another environment as well)."""
    from opsteam.intake import parse_requests

    examples = Path(__file__).resolve().parent.parent / "examples"
    team = Opsteam(home=tmp_path / "home", verifier=ParseOnlyVerifier(), clock=lambda: NOW)
    ranges = []
    for name in ("web-service-k8s.yaml", "batch-workers-vm.yaml", "prod-postgres-ha.yaml"):
        [request] = parse_requests((examples / name).read_bytes())
        [result] = team.submit([request])
        while result.pending:
            result = team.decide(result.thread_id, "approve", all_pending=True, by="ci")
        state = team.state(result.thread_id)
        assert state.network is not None and not state.network.existing_vpc
        ranges.append(IPv4Network(state.network.vpc_cidr))
    for index, first in enumerate(ranges):
        for second in ranges[index + 1 :]:
            assert not first.overlaps(second), (first, second)
    with open_store(tmp_path / "home") as store:
        stored = [s.vpc_cidr for s in built_stacks(store)]
    assert sorted(stored) == sorted(ranges)  # type: ignore[type-var]


def test_a_run_reads_the_newest_stack_of_each_state(db_url: str) -> None:
    """Only the current stacks are made (a rebuilt state's older builds are read as rows)."""
    migrate(db_url, "upgrade", "head")
    builds = [
        ("orders-prod", "10.2.0.0/16", "chg-1", 1),
        ("billing-dev", "10.3.0.0/16", "chg-2", 2),
        ("orders-prod", "10.4.0.0/16", "chg-3", 3),  # the same state, built again
        ("orders-prod", "10.5.0.0/16", "chg-0", 3),  # at the same time: by thread id
        ("search-dev", "10.6.0.0/16", "chg-4", 4),
    ]
    with open_store(url=db_url) as store:
        for prefix, cidr, thread, minute in builds:
            record_stack(store, built(prefix, cidr, thread), NOW.replace(minute=minute))
        current = current_built_stacks(store)
        assert current == current_stacks(built_stacks(store))
    assert [(s.thread_id, str(s.vpc_cidr)) for s in current] == [
        ("chg-2", "10.3.0.0/16"),
        ("chg-3", "10.4.0.0/16"),
        ("chg-4", "10.6.0.0/16"),
    ]


def test_0004_records_stacks_and_downgrades_cleanly(db_url: str) -> None:
    migrate(db_url, "upgrade", "head")
    with open_store(url=db_url) as store:
        record_stack(store, built("orders-prod", "10.2.0.0/16", "chg-1"), NOW)
        record_stack(store, built("orders-prod", "10.2.0.0/16", "chg-1"), NOW)  # idempotent
        [stack] = built_stacks(store)
    assert (stack.prefix, stack.vpc_cidr, stack.outputs) == (
        "orders-prod",
        IPv4Network("10.2.0.0/16"),
        ["vpc_id"],
    )
    migrate(db_url, "downgrade", "0003")
    engine = make_engine(db_url)
    assert "stacks" not in sa.inspect(engine).get_table_names()
    engine.dispose()
    migrate(db_url, "upgrade", "head")
