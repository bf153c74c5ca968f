"""The architect's priced components are the ones the specialists actually provision.

A plan that prices ``db.m6g.xlarge`` x2 while the Database Administrator and the Terraform
provision ``db.r6g.xlarge`` x4 under-states the monthly cost; these tests tie the two together.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from iac_factories import database_plan

from opsteam.agents.architect.costs import estimate, footprint
from opsteam.agents.architect.prices import PriceTable, load_prices
from opsteam.agents.automation import role as automation
from opsteam.agents.base import RoleContext
from opsteam.agents.dba import role as dba
from opsteam.domain.decisions import ArchitectDesign, DatabasePlan
from opsteam.domain.models import Engine, Size
from opsteam.domain.registry import Registry
from tests.plan_factories import make_design, make_request

SIZES = list(Size)
ENVS = ["dev", "staging", "prod"]


def codified(registry: Registry, design: ArchitectDesign, db: DatabasePlan) -> RoleContext:
    """The context the plan is priced from: the DBA's decision as the stack codifies it."""
    ctx = RoleContext(registry=registry, design=design, database=db)
    return replace(ctx, automation=automation.decide(make_request(), ctx))


@pytest.fixture(scope="module")
def prices() -> PriceTable:
    return load_prices()


@pytest.mark.parametrize("size", SIZES)
def test_aws_price_table_classes_are_the_dba_classes(prices: PriceTable, size: Size) -> None:
    aws = prices.cloud("aws")
    assert aws.database.for_size(size).instance_class == dba.SQL_CLASSES[size][0]
    assert aws.cache.for_size(size).instance_class == dba.CACHE_CLASSES[size][0]


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("size", SIZES)
def test_plan_database_line_matches_the_dba_decision(
    prices: PriceTable, registry: Registry, env: str, size: Size
) -> None:
    request = make_request(environment=env, size=size.value, engine="postgres")
    design = make_design(components=["database", "monitoring"], engine=Engine.POSTGRES)
    ctx = RoleContext(registry=registry, design=design)
    decided = database_plan(request, ctx)
    instances = (1 + decided.read_replicas) * (2 if decided.multi_az else 1)

    items = estimate(footprint(request, codified(registry, design, decided)), prices, "aws").items
    db_line = next(i for i in items if i.use.startswith("Database ("))
    storage = next(i for i in items if i.use == "Database storage")

    assert db_line.size == decided.instance_class
    assert db_line.quantity == instances
    assert storage.size == f"{decided.storage_gb} GB"
    assert storage.quantity == instances


@pytest.mark.parametrize("env", ENVS)
def test_plan_cache_nodes_match_the_dba_decision(
    prices: PriceTable, registry: Registry, env: str
) -> None:
    request = make_request(environment=env, component="cache", engine="redis")
    design = make_design(components=["cache", "monitoring"], engine=Engine.REDIS)
    decided = database_plan(request, RoleContext(registry=registry, design=design))

    items = estimate(footprint(request, codified(registry, design, decided)), prices, "aws").items
    cache = next(i for i in items if i.use == "Cache")

    assert cache.size == decided.instance_class
    assert cache.quantity == 1 + decided.read_replicas
