"""Modify requests work in the existing network: no new VPC range, no invented subnets."""

from __future__ import annotations

from ipaddress import IPv4Network
from pathlib import Path

import hcl2
import pytest
import yaml

from opsteam.agents.automation import role as automation
from opsteam.agents.base import RoleContext
from opsteam.agents.network import role as network
from opsteam.agents.network.cidr import EXISTING_VPC
from opsteam.domain.registry import load_registry
from tests.test_iac_modify import OPTIONS, bundle, example
from tests.test_network_role import make_design, make_request, plan_for

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _doc(request_fields: dict[str, object]) -> tuple[network.NetworkPlan, str]:
    request = make_request(**request_fields)
    context = RoleContext(registry=load_registry(), design=make_design())
    plan = network.decide(request, context)
    [artifact] = network.render(plan, request, context)
    return plan, artifact.content


def test_modify_without_ranges_names_the_existing_vpc_and_invents_no_subnets() -> None:
    plan, doc = _doc({"type": "Modify", "component": "load balancer"})
    assert plan.subnets == []
    assert plan.vpc_cidr == EXISTING_VPC
    assert "VPC CIDR:" not in doc and "works in the existing network" in doc
    assert "var.vpc_cidr" in doc
    assert "No subnets are created" in doc


def test_modify_takes_the_first_existing_range_as_the_vpc() -> None:
    plan, doc = _doc(
        {
            "type": "Modify",
            "component": "firewall",
            "ports": [9000],
            "existing_cidrs": ["10.20.0.0/16", "172.31.0.0/16"],
        }
    )
    assert plan.vpc_cidr == "10.20.0.0/16"  # the existing range, not a new one avoiding it
    assert plan.subnets == []
    assert "Existing VPC range: `10.20.0.0/16`" in doc and "ranges avoided" not in doc


def test_a_new_request_still_plans_a_fresh_range() -> None:
    plan = plan_for(make_request(existing_cidrs=["10.0.0.0/16"]))
    assert plan.subnets
    assert not IPv4Network(plan.vpc_cidr).overlaps(IPv4Network("10.0.0.0/16"))


def test_vpn_modify_keeps_the_partner_range_out_of_the_vpc() -> None:
    _, ctx = example("vpn-firewall.yaml")
    plan = ctx.network
    assert plan is not None and plan.subnets == []
    assert plan.vpc_cidr == "10.0.0.0/16"  # existing_cidrs[0] is the partner's range
    assert plan.vpn["local_cidr"] == "10.0.0.0/16"
    assert plan.rules and all("192.168.40.0/24" in (r.source, r.destination) for r in plan.rules)


def test_edge_modify_lists_only_listener_rules_and_lb_records() -> None:
    _, ctx = example("dns-lb-change.yaml")
    plan = ctx.network
    assert plan is not None and plan.subnets == [] and plan.load_balancer is not None
    alb = plan.load_balancer.name
    assert plan.rules and all(alb in (r.source, r.destination) for r in plan.rules)
    assert plan.dns_records and all(d.value == alb for d in plan.dns_records)


def test_a_rule_from_an_unknown_vpc_range_becomes_a_terraform_input() -> None:
    request = make_request(type="Modify", component="firewall", ports=[9000])
    design = make_design(components=["server"], public_endpoint=False, hosts_needed=True)
    base = RoleContext(registry=load_registry(), design=design)
    ctx = RoleContext(registry=base.registry, design=design, network=network.decide(request, base))
    assert ctx.network is not None and ctx.network.vpc_cidr == EXISTING_VPC
    plan = automation.decide(request, ctx)
    files = {a.path: a.content for a in automation.render(plan, request, ctx)}
    change = "\n".join(v for k, v in files.items() if k.endswith(".tf"))
    assert 'variable "vpc_cidr"' in change and "cidr_blocks       = [var.vpc_cidr]" in change
    parsed = hcl2.loads(change, serialization_options=OPTIONS)
    variables = {name for block in parsed.get("variable", []) for name in block}
    assert not any("existing" in v for v in variables), variables  # no group named after it
    blocks = [
        cidr
        for block in parsed.get("resource", [])
        for body in block.get("aws_security_group_rule", {}).values()
        for cidr in body.get("cidr_blocks", [])
    ]
    assert blocks and all(c == "${var.vpc_cidr}" or IPv4Network(c) for c in blocks), blocks


def test_kubernetes_policy_stays_valid_without_a_known_vpc_range() -> None:
    request, ctx = example("dns-lb-change.yaml")
    files = bundle(request, ctx)
    for path, artifact in files.items():
        if path.endswith("networkpolicy.yaml"):
            for doc in yaml.safe_load_all(artifact.content):
                for cidr in _ip_blocks(doc):
                    IPv4Network(cidr)  # a CIDR, never the marker


def _ip_blocks(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [str(node["cidr"])] if "cidr" in node else []
        return found + [c for v in node.values() for c in _ip_blocks(v)]
    if isinstance(node, list):
        return [c for v in node for c in _ip_blocks(v)]
    return []


def test_moving_a_name_takes_the_existing_record_over_and_keeps_the_old_value() -> None:
    """The name exists already (the change moves it): a plain create fails half-way through
    the apply, after the listeners changed. The design keeps the old records to roll back."""
    request, ctx = example("dns-lb-change.yaml")
    files = bundle(request, ctx)
    records = {
        name: body
        for path, artifact in files.items()
        if path.endswith(".tf")
        for block in hcl2.loads(artifact.content, serialization_options=OPTIONS).get("resource", [])
        for name, body in block.get("aws_route53_record", {}).items()
    }
    moved = [body for name, body in records.items() if name != "certificate_validation"]
    assert moved and all(str(body["allow_overwrite"]).lower() == "true" for body in moved)
    assert "list-resource-record-sets" in " ".join(ctx.design.rollback_plan)


@pytest.mark.parametrize(
    ("said", "only"),
    [
        ("A web API; TLS 1.3 only for every client.", True),
        ("A web API; require a minimum of TLS 1.3.", True),
        ("A web API; disable TLS 1.2 on the listener.", True),
        ("A web API; enforce TLS 1.3 for every client.", False),  # 1.3 offered, 1.2 kept
        ("A web API behind a load balancer.", False),
    ],
)
def test_tls_13_only_when_the_request_asks_for_it(said: str, only: bool) -> None:
    plan, _ = _doc({"description": said})
    assert plan.load_balancer is not None
    wanted = network.TLS13_ONLY_POLICY if only else network.TLS_POLICY
    assert plan.load_balancer.tls_policy == wanted  # 1.2 clients served unless asked
