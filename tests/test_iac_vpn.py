"""Automation Engineer: the site-to-site VPN the network plan decided is codified in vpn.tf."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions
from iac_factories import make_ctx, make_network
from iac_factories import make_request as make_iac_request

from opsteam.agents.architect import role as architect
from opsteam.agents.automation import role as automation
from opsteam.agents.automation import vpn as iac_vpn
from opsteam.agents.base import RoleContext
from opsteam.agents.network import role as network
from opsteam.domain.decisions import NetworkPlan
from opsteam.domain.models import Artifact, ChangeRequest, ChangeType
from opsteam.domain.registry import load_registry
from opsteam.intake import parse_requests

OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "vpn-firewall.yaml"
PARTNER = "192.168.40.0/24"


def example(*, new: bool = False) -> tuple[ChangeRequest, RoleContext]:
    """The VPN example as the graph sees it: the architect's design, then the network plan.

    The example is a Modify request (the VPC exists); ``new=True`` asks for the same VPN as
    part of a new stack, where the VPC and its route tables are created alongside.
    """
    [request] = parse_requests(EXAMPLE.read_bytes(), str(EXAMPLE))
    if new:
        request = request.model_copy(update={"type": ChangeType.NEW})
    registry = load_registry()
    design = architect.decide(request, registry)
    plan = network.decide(request, RoleContext(registry=registry, design=design))
    return request, RoleContext(registry=registry, design=design, network=plan)


def bundle(request: ChangeRequest, ctx: RoleContext) -> dict[str, Artifact]:
    plan = automation.decide(request, ctx)
    return {a.path: a for a in automation.render(plan, request, ctx)}


def blocks(text: str, section: str, kind: str | None = None) -> dict[str, dict[str, Any]]:
    """Resources of one type (section="resource") or variables (section="variable")."""
    parsed = hcl2.loads(text, serialization_options=OPTIONS)
    found: dict[str, dict[str, Any]] = {}
    for block in parsed.get(section, []):
        items = block.get(kind, {}) if kind else block
        found.update(items)
    return found


def vpn_tf(request: ChangeRequest, ctx: RoleContext) -> str:
    return bundle(request, ctx)["terraform/vpn.tf"].content


def test_the_vpn_example_is_fully_codified() -> None:
    request, ctx = example()
    assert ctx.network is not None and ctx.network.vpn["peer_cidr"] == PARTNER
    plan = automation.decide(request, ctx)
    assert "terraform/vpn.tf" in plan.modules
    assert plan.resources_total > 0
    assert plan.resources_as_code == plan.resources_total


def test_gateway_customer_gateway_connection_and_route_follow_the_plan() -> None:
    request, ctx = example(new=True)
    tf = vpn_tf(request, ctx)
    [vgw] = blocks(tf, "resource", "aws_vpn_gateway").values()
    assert vgw["vpc_id"] == "${aws_vpc.main.id}"
    [cgw] = blocks(tf, "resource", "aws_customer_gateway").values()
    assert cgw["ip_address"] == "${var.vpn_peer_ip}"
    assert cgw["bgp_asn"] == "${var.vpn_bgp_asn}"
    assert cgw["type"] == "ipsec.1"
    [conn] = blocks(tf, "resource", "aws_vpn_connection").values()
    assert conn["vpn_gateway_id"] == "${local.vpn_gateway_id}"
    assert "count" not in vgw  # a VPC this stack creates has no gateway yet: always one
    assert conn["customer_gateway_id"] == "${aws_customer_gateway.partner.id}"
    assert conn["static_routes_only"] is True
    [route] = blocks(tf, "resource", "aws_vpn_connection_route").values()
    assert route["destination_cidr_block"] == PARTNER
    props = blocks(tf, "resource", "aws_vpn_gateway_route_propagation").values()
    tables = blocks(
        bundle(request, ctx)["terraform/network.tf"].content, "resource", "aws_route_table"
    )
    private = {f"${{aws_route_table.{name}.id}}" for name in tables if name != "public"}
    assert len(private) == 3  # prod: one private route table per zone
    assert {p["route_table_id"] for p in props} == private  # every one learns the partner


def test_in_a_vpc_that_exists_the_gateway_it_may_have_is_reused_not_duplicated() -> None:
    """A VPC takes one virtual private gateway: a second one (next to another VPN or Direct
    Connect) fails at apply, so an existing VPC's module takes its gateway as an input."""
    request, ctx = example()  # a Modify: the VPC exists
    files = bundle(request, ctx)
    tf = files["terraform/vpn.tf"].content
    [vgw] = blocks(tf, "resource", "aws_vpn_gateway").values()
    assert vgw["count"] == "${var.vpn_gateway_id == null ? 1 : 0}"
    [found] = blocks(tf, "data", "aws_vpn_gateway").values()
    assert found["id"] == "${var.vpn_gateway_id}"
    assert found["attached_vpc_id"] == vgw["vpc_id"]  # a gateway of another VPC is refused
    [conn] = blocks(tf, "resource", "aws_vpn_connection").values()
    assert conn["vpn_gateway_id"] == "${local.vpn_gateway_id}"
    for kind in ("aws_vpn_gateway_route_propagation",):
        assert all(
            p["vpn_gateway_id"] == "${local.vpn_gateway_id}"
            for p in blocks(tf, "resource", kind).values()
        )
    variables = blocks(files["terraform/variables.tf"].content, "variable")
    gateway = variables["vpn_gateway_id"]
    assert gateway["default"] is None  # optional: null creates one
    assert "vgw-" in gateway["validation"][0]["condition"]
    asn = variables["vpn_amazon_side_asn"]
    assert asn["default"] == iac_vpn.AMAZON_SIDE_ASN
    [cgw] = blocks(tf, "resource", "aws_customer_gateway").values()
    [check] = cgw["lifecycle"][0]["precondition"]
    assert check["condition"] == "${var.vpn_bgp_asn != local.vpn_gateway_asn}"


def test_a_new_vpcs_module_has_no_gateway_input() -> None:
    request, ctx = example(new=True)
    variables = blocks(bundle(request, ctx)["terraform/variables.tf"].content, "variable")
    assert "vpn_gateway_id" not in variables
    assert "vpn_amazon_side_asn" in variables


def test_both_tunnels_use_ikev2_and_the_plans_strong_ciphers() -> None:
    request, ctx = example()
    [conn] = blocks(vpn_tf(request, ctx), "resource", "aws_vpn_connection").values()
    for t in ("tunnel1", "tunnel2"):
        assert conn[f"{t}_ike_versions"] == ["ikev2"]
        for phase in ("phase1", "phase2"):
            assert conn[f"{t}_{phase}_encryption_algorithms"] == ["AES256-GCM-16"]
            assert conn[f"{t}_{phase}_integrity_algorithms"] == ["SHA2-256"]
            assert conn[f"{t}_{phase}_dh_group_numbers"] == [20]
        [options] = conn[f"{t}_log_options"]
        [logs] = options["cloudwatch_log_options"]
        assert logs["log_enabled"] is True


def test_peer_ip_is_a_required_validated_variable_and_asn_has_a_default() -> None:
    request, ctx = example()
    variables = blocks(bundle(request, ctx)["terraform/variables.tf"].content, "variable")
    peer_ip = variables["vpn_peer_ip"]
    assert "default" not in peer_ip  # the request has no peer IP: terraform must be told
    conditions = [v["condition"] for v in peer_ip["validation"]]
    assert len(conditions) == 2 and all("var.vpn_peer_ip" in c for c in conditions)
    asn = variables["vpn_bgp_asn"]
    assert asn["default"] == iac_vpn.DEFAULT_BGP_ASN
    assert 64512 <= asn["default"] <= 65534  # a private ASN
    assert "var.vpn_bgp_asn" in asn["validation"][0]["condition"]
    assert "vpn_peer_cidr" not in variables  # the plan knows the partner range


def test_partner_rules_come_from_the_network_plan_and_live_in_vpn_tf() -> None:
    request, ctx = example(new=True)
    assert ctx.network is not None
    partner = [r for r in ctx.network.rules if r.source == PARTNER]
    assert [(r.direction, r.port) for r in partner] == [("ingress", 8443)]
    files = bundle(request, ctx)
    in_vpn = blocks(files["terraform/vpn.tf"].content, "resource", "aws_security_group_rule")
    in_net = blocks(files["terraform/network.tf"].content, "resource", "aws_security_group_rule")
    assert [r["cidr_blocks"] for r in in_vpn.values()] == [[PARTNER]]
    # The partner reaches the application's port: the module's app_port, decided as 8443.
    assert [r["from_port"] for r in in_vpn.values()] == ["${var.app_port}"]
    app_port = blocks(files["terraform/variables.tf"].content, "variable")["app_port"]
    assert int(app_port["default"]) == 8443
    assert not set(in_vpn) & set(in_net)
    assert len(in_vpn) + len(in_net) == len(ctx.network.rules)
    assert all(PARTNER not in r.get("cidr_blocks", []) for r in in_net.values())


def with_vpn(settings: dict[str, str]) -> tuple[ChangeRequest, RoleContext]:
    request = make_iac_request()
    net: NetworkPlan = make_network().model_copy(update={"vpn": settings})
    return request, make_ctx(request, network=net)


def test_unknown_partner_range_becomes_a_required_variable() -> None:
    request, ctx = with_vpn({"type": "site-to-site", "ike_version": "ikev2"})
    tf = vpn_tf(request, ctx)
    variables = blocks(bundle(request, ctx)["terraform/variables.tf"].content, "variable")
    assert "default" not in variables["vpn_peer_cidr"]
    assert variables["vpn_peer_cidr"]["validation"]
    [route] = blocks(tf, "resource", "aws_vpn_connection_route").values()
    assert route["destination_cidr_block"] == "${var.vpn_peer_cidr}"
    assert not blocks(tf, "resource", "aws_security_group_rule")
    plan = automation.decide(request, ctx)
    assert plan.resources_as_code == plan.resources_total


def test_weak_or_unknown_settings_fall_back_to_strong_ones() -> None:
    weak = {"peer_cidr": "172.20.0.0/16", "encryption": "3des", "dh_group": "2", "integrity": "md5"}
    request, ctx = with_vpn(weak)
    [conn] = blocks(vpn_tf(request, ctx), "resource", "aws_vpn_connection").values()
    assert conn["tunnel1_phase1_encryption_algorithms"] == ["AES256-GCM-16"]
    assert conn["tunnel1_phase1_integrity_algorithms"] == ["SHA2-256"]
    assert conn["tunnel2_phase2_dh_group_numbers"] == [iac_vpn.DEFAULT_DH_GROUP]


def test_no_vpn_no_vpn_tf() -> None:
    request = make_iac_request()
    ctx = make_ctx(request)
    assert ctx.network is not None and not ctx.network.vpn
    files = bundle(request, ctx)
    assert "terraform/vpn.tf" not in files
    assert "terraform/vpn.tf" not in automation.decide(request, ctx).modules
    assert "VPN" not in files["terraform/network.tf"].content


def test_vpn_rendering_is_deterministic_and_has_no_internal_ids() -> None:
    request, ctx = example()
    first, second = vpn_tf(request, ctx), vpn_tf(request, ctx)
    assert first == second
    assert "INF-" not in first
    assert hcl2.loads(first)


def test_the_modify_example_attaches_to_the_existing_vpc_and_route_tables() -> None:
    request, ctx = example()
    files = bundle(request, ctx)
    assert "terraform/network.tf" not in files  # the VPC exists: nothing network-wide is created
    tf = files["terraform/vpn.tf"].content
    [vgw] = blocks(tf, "resource", "aws_vpn_gateway").values()
    assert vgw["vpc_id"] == "${var.vpc_id}"
    [prop] = blocks(tf, "resource", "aws_vpn_gateway_route_propagation").values()
    assert prop["count"] == "${length(var.private_route_table_ids)}"
    assert prop["route_table_id"] == "${var.private_route_table_ids[count.index]}"
    [rule] = blocks(tf, "resource", "aws_security_group_rule").values()
    assert rule["cidr_blocks"] == [PARTNER]
    assert rule["security_group_id"] == "${var.shipping_api_prod_app_security_group_id}"
    change = files["terraform/change.tf"].content
    assert not blocks(change, "resource")  # what exists is only referenced
    declared = blocks(files["terraform/variables.tf"].content, "variable")
    example_values = files["terraform/terraform.tfvars.example"].content
    for name in ("vpc_id", "private_route_table_ids", "kms_key_arn"):
        variable = declared[name]
        assert variable["description"] and "default" not in variable
        assert f"\n{name} = " in example_values
