"""The Network Engineer: plans follow the request and stay least-privilege."""

from __future__ import annotations

from ipaddress import IPv4Network
from typing import Any

import pytest

from opsteam.agents.base import RoleContext
from opsteam.agents.network import role as network
from opsteam.domain import naming
from opsteam.domain.decisions import ArchitectDesign, NetworkPlan
from opsteam.domain.models import ChangeRequest, Engine
from opsteam.domain.registry import load_registry
from tests.factories import design, role_ctx

ANYWHERE = "0.0.0.0/0"


def make_request(**overrides: Any) -> ChangeRequest:
    fields: dict[str, Any] = {
        "request": "Orders API",
        "type": "New",
        "component": "kubernetes",
        "description": "Run the orders service on the shared cluster",
        "justification": "New product line",
        "timeline": "next sprint",
        "impact": "none, new service",
        "requester": "commerce team",
        "environment": "prod",
    }
    fields.update(overrides)
    return ChangeRequest.model_validate(fields)


def make_design(**overrides: Any) -> ArchitectDesign:
    return design(**overrides)


def ctx(design: ArchitectDesign | None = None, request: ChangeRequest | None = None) -> RoleContext:
    return role_ctx(design, request)


def plan_for(request: ChangeRequest, design: ArchitectDesign | None = None) -> NetworkPlan:
    return network.decide(request, ctx(design, request))


def ingress(plan: NetworkPlan) -> list[Any]:
    return [r for r in plan.rules if r.direction == "ingress"]


def test_existing_cidrs_move_the_vpc() -> None:
    first = plan_for(make_request())
    taken = IPv4Network(first.vpc_cidr)
    second = plan_for(make_request(existing_cidrs=[str(taken)]))
    assert second.vpc_cidr != first.vpc_cidr
    for subnet in second.subnets:
        assert not IPv4Network(subnet.cidr).overlaps(taken)
        assert IPv4Network(subnet.cidr).subnet_of(IPv4Network(second.vpc_cidr))


def test_environment_changes_zone_count_without_design() -> None:
    dev = {s.zone for s in plan_for(make_request(environment="dev")).subnets}
    prod = {s.zone for s in plan_for(make_request(environment="prod")).subnets}
    assert len(prod) > len(dev) >= 2


def test_subnets_follow_the_design_zones() -> None:
    zones = ["eu-west-1a", "eu-west-1b"]
    plan = plan_for(make_request(), make_design(zones=zones, region="eu-west-1"))
    assert sorted({s.zone for s in plan.subnets}) == zones
    assert {s.tier for s in plan.subnets} == {"public", "private", "data"}


@pytest.mark.parametrize("ports", [[8080], [3000, 9443]])
def test_app_ingress_ports_follow_the_request(ports: list[int]) -> None:
    request = make_request(ports=ports, component="server")
    plan = plan_for(request, make_design(components=["web", "server"], hosts_needed=True))
    app = f"{naming.resource_prefix(request)}-app"
    alb = f"{naming.resource_prefix(request)}-alb"
    app_rules = [r for r in ingress(plan) if r.destination == app and r.port not in (22, 9100)]
    assert sorted(r.port for r in app_rules) == ports
    assert {r.source for r in app_rules} == {alb}
    assert plan.load_balancer is not None and plan.load_balancer.target_port == ports[0]


def test_a_load_balancer_reaches_kubernetes_pods_through_one_stable_node_port() -> None:
    request = make_request(ports=[8080])
    plan = plan_for(request, make_design())
    lb = plan.load_balancer
    assert lb is not None and lb.node_port is not None and 30000 <= lb.node_port <= 32767
    assert (lb.target_port, lb.backend_port, lb.target_protocol) == (lb.node_port, 8080, "HTTP")
    app = f"{naming.resource_prefix(request)}-app"
    app_rules = [r for r in ingress(plan) if r.destination == app]
    assert [r.port for r in app_rules] == [lb.node_port]  # the nodes, on the NodePort only
    assert plan_for(request, make_design()).load_balancer == lb  # the same port every time


@pytest.mark.parametrize("engine", [Engine.POSTGRES, Engine.MYSQL])
def test_database_port_is_the_engine_port_from_private_subnets_only(engine: Engine) -> None:
    request = make_request()
    plan = plan_for(request, make_design(engine=engine))
    db = f"{naming.resource_prefix(request)}-db"
    db_rules = [r for r in ingress(plan) if r.destination == db]
    private = {s.cidr for s in plan.subnets if s.tier == "private"}
    assert db_rules
    assert {r.port for r in db_rules} == {naming.engine_port(engine)}
    assert {r.source for r in db_rules} == private


def test_cache_gets_redis_port_from_private_subnets() -> None:
    design = make_design(components=["web", "cache"], engine=None)
    plan = plan_for(make_request(), design)
    cache_rules = [r for r in ingress(plan) if r.destination.endswith("-cache")]
    private = {s.cidr for s in plan.subnets if s.tier == "private"}
    assert {r.port for r in cache_rules} == {naming.engine_port(Engine.REDIS)}
    assert {r.source for r in cache_rules} == private


DESIGNS = [
    make_design(),
    make_design(public_endpoint=False),
    make_design(components=["server", "database", "cache"], hosts_needed=True),
    make_design(components=["web", "server", "vpn"], hosts_needed=True),
]


@pytest.mark.parametrize("design", DESIGNS)
@pytest.mark.parametrize("ports", [[], [22, 80, 5432, 8443]])
def test_only_the_load_balancer_listens_to_the_internet(
    design: ArchitectDesign, ports: list[int]
) -> None:
    request = make_request(ports=ports, existing_cidrs=["192.168.0.0/16"])
    plan = plan_for(request, design)
    alb = f"{naming.resource_prefix(request)}-alb"
    for rule in ingress(plan):
        if rule.source == ANYWHERE:
            assert rule.destination == alb and rule.port in (80, 443)
            assert design.public_endpoint
        if rule.port == 22:
            assert rule.source != ANYWHERE
    out = {r.port for r in plan.rules if r.direction == "egress" and r.destination == ANYWHERE}
    assert out <= {443}


def test_ssh_comes_from_vpn_peer_or_bastion() -> None:
    request = make_request(existing_cidrs=["192.168.10.0/24"])
    with_vpn = plan_for(request, make_design(components=["server", "vpn"], hosts_needed=True))
    no_vpn = plan_for(request, make_design(components=["server"], hosts_needed=True))
    ssh_vpn = [r.source for r in ingress(with_vpn) if r.port == 22]
    ssh_bastion = [r.source for r in ingress(no_vpn) if r.port == 22]
    assert ssh_vpn == ["192.168.10.0/24"]
    assert ssh_bastion == [f"{naming.resource_prefix(request)}-bastion"]


def test_vpn_settings_use_the_peer_range() -> None:
    request = make_request(component="vpn", existing_cidrs=["172.20.0.0/16", "10.0.0.0/16"])
    plan = plan_for(request, make_design(components=["vpn"], public_endpoint=False))
    assert plan.vpn["type"] == "site-to-site"
    assert plan.vpn["ike_version"] == "ikev2"
    assert plan.vpn["peer_cidr"] == "172.20.0.0/16"
    assert not IPv4Network(plan.vpc_cidr).overlaps(IPv4Network("172.20.0.0/16"))


def test_public_and_internal_names_and_tls() -> None:
    request = make_request(description="Serve shop.acme.io to customers")
    public = plan_for(request, make_design())
    internal = plan_for(request, make_design(public_endpoint=False))
    assert public.load_balancer is not None and internal.load_balancer is not None
    assert public.load_balancer.scheme == "internet-facing"
    assert internal.load_balancer.scheme == "internal"
    assert public.load_balancer.tls_policy == network.TLS_POLICY
    assert public.dns_records[0].name == "shop.acme.io"
    assert internal.dns_records[0].name == f"{request.service_name}.prod.internal"
    assert not [r for r in ingress(internal) if r.source == ANYWHERE]


def test_firewall_modify_lists_only_changed_rules() -> None:
    request = make_request(type="Modify", component="firewall", ports=[9000])
    plan = plan_for(request)
    assert plan.rules and {r.port for r in plan.rules} == {9000}
    assert any("Modify" in n for n in plan.notes)


def test_remove_plans_removal_and_creates_no_subnets() -> None:
    request = make_request(type="Remove")
    plan = plan_for(request, make_design())
    assert plan.subnets == []
    assert plan.rules and all(r.description.startswith("remove:") for r in plan.rules)
    assert any("Remove" in n for n in plan.notes)


def test_notes_use_public_role_names() -> None:
    plan = plan_for(make_request(), make_design())
    dba = load_registry().role("database-administrator").name
    assert any(dba in n for n in plan.notes)


def test_decide_is_pure_and_render_is_deterministic() -> None:
    request = make_request(request="Orders | API <beta>", existing_cidrs=["10.0.0.0/16"])
    context = ctx(make_design(components=["web", "server", "database", "vpn"]))
    plan = network.decide(request, context)
    assert network.decide(request, context) == plan
    first = network.render(plan, request, context)
    second = network.render(network.decide(request, context), request, context)
    assert [a.content.encode() for a in first] == [a.content.encode() for a in second]
    assert [a.path for a in first] == ["network/network-plan.md"]
    text = first[0].content
    assert "INF-" not in text
    assert "Orders \\| API &lt;beta&gt;" in text
    for subnet in plan.subnets:
        assert subnet.cidr in text
    for rule in plan.rules:
        assert rule.name in text
