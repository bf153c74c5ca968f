"""Egress routing: production survives a zone loss, so every zone has its own NAT gateway."""

from __future__ import annotations

from typing import Any

import hcl2
import pytest
from hcl2.utils import SerializationOptions
from iac_factories import ZONES, make_ctx, make_request

from opsteam.agents.automation import role as automation
from opsteam.agents.network import role as network
from opsteam.domain.models import Artifact
from tests.factories import design as make_design

OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)


def network_tf(environment: str) -> dict[str, dict[str, dict[str, Any]]]:
    """The network Terraform for the Network Engineer's real plan in ``environment``."""
    request = make_request(environment=environment)
    base = make_ctx(
        request, design=make_design(zones=ZONES if environment == "prod" else ZONES[:2])
    )
    ctx = make_ctx(request, design=base.design, network=network.decide(request, base))
    plan = automation.decide(request, ctx)
    files: dict[str, Artifact] = {a.path: a for a in automation.render(plan, request, ctx)}
    parsed = hcl2.loads(files["terraform/network.tf"].content, serialization_options=OPTIONS)
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for block in parsed.get("resource", []):
        for kind, items in block.items():
            found.setdefault(kind, {}).update(items)
    return found


def zone_of_subnet(tf: dict[str, dict[str, dict[str, Any]]], ref: str) -> str:
    name = ref.removeprefix("${aws_subnet.").removesuffix(".id}")
    return str(tf["aws_subnet"][name]["availability_zone"])


def test_prod_has_one_nat_gateway_and_private_route_table_per_zone() -> None:
    tf = network_tf("prod")
    nats = tf["aws_nat_gateway"]
    assert sorted(zone_of_subnet(tf, n["subnet_id"]) for n in nats.values()) == ZONES
    # The plan prices exactly the gateways the Terraform creates.
    assert len(tf["aws_eip"]) == len(ZONES)
    private = {k: v for k, v in tf["aws_route_table"].items() if k != "public"}
    assert len(private) == len(ZONES)
    for table_name, table in private.items():
        [route] = table["route"]
        nat = route["nat_gateway_id"].removeprefix("${aws_nat_gateway.").removesuffix(".id}")
        nat_zone = zone_of_subnet(tf, nats[nat]["subnet_id"])
        associated = [
            a["subnet_id"]
            for a in tf["aws_route_table_association"].values()
            if a["route_table_id"] == f"${{aws_route_table.{table_name}.id}}"
        ]
        assert associated  # private and data subnets of the zone
        assert {zone_of_subnet(tf, s) for s in associated} == {nat_zone}


@pytest.mark.parametrize("environment", ["dev", "staging"])
def test_dev_and_staging_share_one_nat_gateway(environment: str) -> None:
    tf = network_tf(environment)
    assert len(tf["aws_nat_gateway"]) == 1
    assert set(tf["aws_route_table"]) == {"public", "private"}


def test_every_non_public_subnet_is_associated_once() -> None:
    tf = network_tf("prod")
    associated = [a["subnet_id"] for a in tf["aws_route_table_association"].values()]
    assert len(associated) == len(set(associated)) == len(tf["aws_subnet"])
