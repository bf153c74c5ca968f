"""Modify requests are codified as changes against existing infrastructure, not a new stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hcl2
import pytest
from hcl2.utils import SerializationOptions
from iac_factories import database_plan

from opsteam.agents.architect import role as architect
from opsteam.agents.automation import role as automation
from opsteam.agents.base import RoleContext
from opsteam.agents.network import role as network
from opsteam.domain.models import Artifact, ChangeRequest
from opsteam.domain.registry import load_registry
from opsteam.intake import parse_requests

OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NETWORK_WIDE = {
    "aws_vpc",
    "aws_subnet",
    "aws_route_table",
    "aws_nat_gateway",
    "aws_internet_gateway",
    "aws_security_group",
    "aws_kms_key",
    "aws_s3_bucket",
    "aws_lb",
    "aws_db_instance",
}


def example(name: str) -> tuple[ChangeRequest, RoleContext]:
    """An example as the graph sees it: the design, then the specialists it needs."""
    [request] = parse_requests((EXAMPLES / name).read_bytes(), name)
    registry = load_registry()
    design = architect.decide(request, registry)
    base = RoleContext(registry=registry, design=design)
    return request, RoleContext(
        registry=registry,
        design=design,
        network=network.decide(request, base),
        database=database_plan(request, base) if "database" in design.components else None,
    )


def bundle(request: ChangeRequest, ctx: RoleContext) -> dict[str, Artifact]:
    plan = automation.decide(request, ctx)
    return {a.path: a for a in automation.render(plan, request, ctx)}


def terraform(files: dict[str, Artifact], section: str) -> dict[str, dict[str, Any]]:
    """Blocks of one section (resource, variable, data) across every .tf file, by type."""
    found: dict[str, dict[str, Any]] = {}
    for artifact in files.values():
        # bootstrap/ is its own root module: it creates the state bucket, nothing else.
        if artifact.kind != "terraform" or artifact.path.startswith("terraform/bootstrap/"):
            continue
        parsed = hcl2.loads(artifact.content, serialization_options=OPTIONS)
        for block in parsed.get(section, []):
            for kind, items in block.items():
                found.setdefault(kind, {}).update(items)
    return found


def test_the_schema_migration_creates_no_database_and_no_vpc() -> None:
    request, ctx = example("schema-migration.yaml")
    files = bundle(request, ctx)
    resources = terraform(files, "resource")
    assert not set(resources) & NETWORK_WIDE, sorted(resources)
    [snapshot] = resources["aws_db_snapshot"].values()  # step 1 of the DBA's migration plan
    assert snapshot["db_instance_identifier"] == (
        "${data.aws_db_instance.existing.db_instance_identifier}"
    )
    assert "aws_db_instance" in terraform(files, "data")
    assert ctx.database is not None
    assert "snapshot" in ctx.database.migration_plan[0]


def test_the_dns_lb_change_only_touches_listeners_records_and_the_certificate() -> None:
    request, ctx = example("dns-lb-change.yaml")
    resources = terraform(bundle(request, ctx), "resource")
    assert set(resources) == {
        "aws_lb_listener",
        "aws_route53_record",
        "aws_acm_certificate",
        "aws_acm_certificate_validation",
    }
    listener = resources["aws_lb_listener"]["https"]
    assert listener["load_balancer_arn"] == "${data.aws_lb.existing.arn}"
    assert "TLS13" in listener["ssl_policy"]


# What each Modify example changes, counted by hand: the pre-change snapshot; the certificate,
# the HTTPS and redirect listeners and the one DNS record; the VPN and the partner's one rule.
CHANGED = {"schema-migration.yaml": 1, "dns-lb-change.yaml": 4, "vpn-firewall.yaml": 2}


@pytest.mark.parametrize("name", sorted(CHANGED))
def test_modify_bundles_reference_what_exists_and_say_how_to_review(name: str) -> None:
    request, ctx = example(name)
    files = bundle(request, ctx)
    assert not set(terraform(files, "resource")) & NETWORK_WIDE
    for var_name, variable in terraform(files, "variable").items():
        assert variable.get("description"), var_name
        # app_port defaults to the port the network plan decided (named or assumed there).
        if var_name == "vpn_gateway_id":  # optional: null creates the VPC's gateway
            assert variable["default"] is None
        elif var_name not in {
            "region",
            "environment",
            "vpn_bgp_asn",
            "vpn_amazon_side_asn",
            "app_port",
        }:
            assert "default" not in variable, f"{var_name} has a made-up default"
    main = files["terraform/main.tf"].content
    assert "Review `terraform plan` before applying" in main
    assert "/changes/" in main and "/stack/" not in main  # its own state, never the stack's
    plan = automation.decide(request, ctx)
    assert plan.mode == "modify"
    assert plan.resources_as_code == plan.resources_total == CHANGED[name]
