"""The architecture diagram, built from the decisions and what the automation engineer
codified: the region, the VPC and its subnet tiers, the load balancer, the workloads, the
data stores and their replicas, buckets and VPN peers.

Every box that stands for a resource carries its Terraform address (``aws_lb.main``...), so
the picture can be held to the code; things outside the bundle (users, an existing cluster,
a shared VPC, the partner's network) carry none.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from opsteam.agents.base import RoleContext
from opsteam.domain.decisions import AutomationPlan, NetworkPlan, TerraformStack
from opsteam.domain.decisions.plan import Diagram, DiagramEdge, DiagramGroup, DiagramNode
from opsteam.domain.models import Engine
from opsteam.domain.naming import engine_port


@dataclass
class _Picture:
    groups: list[DiagramGroup] = field(default_factory=list)
    nodes: list[DiagramNode] = field(default_factory=list)
    edges: list[DiagramEdge] = field(default_factory=list)

    def group(
        self, id_: str, label: str, parent: str = "", resources: list[str] | None = None
    ) -> str:
        self.groups.append(
            DiagramGroup(id=id_, label=label, parent=parent, resources=resources or [])
        )
        return id_

    def node(self, id_: str, label: str, group: str = "", resource: str = "") -> str:
        self.nodes.append(DiagramNode(id=id_, label=label, group=group, resource=resource))
        return id_

    def edge(self, source: str, target: str, label: str = "") -> None:
        self.edges.append(DiagramEdge(source=source, target=target, label=label))


def _tiers(
    pic: _Picture, stack: TerraformStack | None, network: NetworkPlan, vpc: str
) -> dict[str, str]:
    """One box per subnet tier (with its ranges), or one for the shared VPC's subnets."""
    if stack is None or network.existing_vpc or not stack.subnets:
        shared = pic.group("subnets", "existing subnets", vpc)
        return dict.fromkeys(("public", "private", "data"), shared)
    tiers: dict[str, str] = {}
    for tier in ("public", "private", "data"):
        nets = [s for s in stack.subnets if s.tier == tier]
        if nets:
            ranges = ", ".join(s.cidr for s in nets)
            addresses = [f"aws_subnet.{s.ident}" for s in nets]
            tiers[tier] = pic.group(f"{tier}_tier", f"{tier} subnets {ranges}", vpc, addresses)
    for tier, fallback in (("private", "data"), ("data", "private"), ("public", "private")):
        tiers.setdefault(tier, tiers.get(fallback, vpc))
    return tiers


def _workloads(
    pic: _Picture, ctx: RoleContext, stack: TerraformStack | None, tier: str
) -> list[str]:
    plan = ctx.automation
    app = plan.kubernetes if plan is not None else None
    found: list[str] = []
    cluster = stack.cluster if stack is not None else None
    if app is not None:
        if cluster is not None and cluster.created:
            size = f"{cluster.min_nodes}-{cluster.max_nodes} x {cluster.node_instance_type}"
            pic.node("cluster", f"EKS {cluster.name} ({size})", tier, "aws_eks_cluster.main")
        else:
            pic.node("cluster", "existing EKS cluster", tier)
        pods = f"{app.app}: {app.replicas}-{app.max_replicas} pods, HTTP :{app.port}"
        found.append(pic.node("pods", pods, tier))
        pic.edge("cluster", "pods", "runs")
    for host in stack.hosts if stack is not None else []:
        label = f"{host.name} x{host.count} ({host.instance_type})"
        found.append(pic.node(f"host_{host.ident}", label, tier, f"aws_instance.{host.ident}"))
    return found


def _data(
    pic: _Picture, ctx: RoleContext, stack: TerraformStack | None, tier: str, region: str
) -> list[str]:
    db = ctx.database
    if db is None or stack is None or not stack.db_instances:
        return []
    port = engine_port(db.engine)
    if db.engine is Engine.REDIS:
        label = f"Redis {db.version} :{port} ({1 + db.read_replicas} node(s))"
        return [pic.node("cache", label, tier, "aws_elasticache_replication_group.main")]
    primary = pic.node(
        "db", f"{db.engine.value} {db.version} primary :{port}", tier, "aws_db_instance.main"
    )
    for index in stack.db_instances[1:]:
        pic.node(
            f"replica_{index}", f"read replica {index}", tier, f"aws_db_instance.replica_{index}"
        )
        pic.edge(primary, f"replica_{index}", "replication")
    for remote in stack.replica_regions:
        alias = "dr_" + remote.replace("-", "_")
        box = pic.group(f"region_{alias}", f"AWS {remote}")
        pic.node(alias, f"cross-region replica ({remote})", box, f"aws_db_instance.{alias}")
        pic.edge(primary, alias, "replication")
    return [primary]


def diagram(ctx: RoleContext) -> Diagram:
    """The design as a picture, from the decisions and the codified stack or change."""
    pic = _Picture()
    design, network, plan = ctx.design, ctx.network, ctx.automation
    stack = plan.stack if plan is not None else None
    region = pic.group("region", f"{design.cloud.upper()} {design.region}")
    clients = pic.node(
        "clients", "Users (internet)" if design.public_endpoint else "Internal clients"
    )
    entry = clients
    data_tier = workload_tier = region
    if network is not None:
        created = stack is not None and not network.existing_vpc and bool(stack.subnets)
        label = f"VPC {network.vpc_cidr}" if created else f"existing VPC {network.vpc_cidr}"
        vpc = pic.group("vpc", label, region, ["aws_vpc.main"] if created else [])
        tiers = _tiers(pic, stack, network, vpc)
        workload_tier, data_tier = tiers["private"], tiers["data"]
        entry = _edge_path(pic, network, stack, tiers["public"], clients)
    workloads = _workloads(pic, ctx, stack, workload_tier)
    stores = _data(pic, ctx, stack, data_tier, design.region)
    lb = network.load_balancer if network is not None else None
    to_workload = f"HTTP :{lb.target_port}" if lb is not None else "HTTP"
    for workload in workloads:
        pic.edge(entry, workload, to_workload)
        for store in stores:
            pic.edge(workload, store)
    for store in stores if not workloads else []:
        pic.edge(clients, store, "TLS")
    _buckets(pic, stack, region)
    _vpn(pic, plan, network, region)
    if stack is None and plan is not None and plan.mode != "create":
        _existing(pic, ctx, plan.mode, clients, data_tier)
    return Diagram(groups=pic.groups, nodes=pic.nodes, edges=pic.edges)


_VERBS = {"modify": "changed", "remove": "removed"}


def _existing(pic: _Picture, ctx: RoleContext, mode: str, clients: str, tier: str) -> None:
    """A change or removal builds no stack: the picture shows what it touches, outside the
    bundle (no Terraform address of its own)."""
    verb = _VERBS.get(mode, "changed")
    for component in ctx.design.components:
        if component == "monitoring":
            continue
        name = component.replace("-", " ")
        node = pic.node(
            f"existing_{component.replace('-', '_')}", f"existing {name} ({verb})", tier
        )
        pic.edge(clients, node)


def _edge_path(
    pic: _Picture, network: NetworkPlan, stack: TerraformStack | None, public: str, clients: str
) -> str:
    """Clients -> DNS -> load balancer: the node traffic enters the VPC through."""
    entry = clients
    if stack is not None and network.dns_records:
        record = network.dns_records[0]
        pic.node("dns", f"DNS {record.name}", "", f"aws_route53_record.{stack.dns_ids[0]}")
        pic.edge(clients, "dns")
        entry = "dns"
    lb = network.load_balancer
    if lb is not None:
        label = f"ALB {lb.name} HTTPS :{lb.listener_port}"
        if stack is None:  # a change to a load balancer that exists
            pic.node("lb", f"existing {label}", public)
        else:
            pic.node("lb", label, public, "aws_lb.main")
        pic.edge(entry, "lb", "HTTPS")
        entry = "lb"
    for nat in stack.nats if stack is not None else []:
        pic.node(
            f"nat_{nat.ident}", f"NAT gateway {nat.zone}", public, f"aws_nat_gateway.{nat.ident}"
        )
    return entry


def _buckets(pic: _Picture, stack: TerraformStack | None, region: str) -> None:
    for bucket in stack.buckets if stack is not None else []:
        pic.node(
            f"bucket_{bucket.purpose}",
            f"S3 {bucket.purpose}",
            region,
            f"aws_s3_bucket.{bucket.purpose}",
        )


def _vpn(
    pic: _Picture, plan: AutomationPlan | None, network: NetworkPlan | None, region: str
) -> None:
    spec = None
    if plan is not None:
        spec = (
            plan.stack.vpn if plan.stack is not None else plan.change.vpn if plan.change else None
        )
    if spec is None or network is None:
        return
    pic.node("vgw", "VPN gateway", region, "aws_vpn_gateway.main")
    peer = spec.peer_cidr or "partner range (input)"
    pic.node("partner", f"Partner network {peer}")
    pic.node("vpn", "Site-to-site VPN (2 tunnels)", region, "aws_vpn_connection.partner")
    pic.edge("partner", "vpn", "IPsec")
    pic.edge("vpn", "vgw")
