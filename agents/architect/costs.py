"""Monthly cost estimates of what the team decided, from the dated price table.

Pure arithmetic over a :class:`Footprint` counted from the specialists' decisions (instances
the DBA sized, hosts the Systems Administrator planned, NAT gateways and VPN connections the
Network Engineer placed, pods the Automation Engineer codified): every priced line is a
resource in the bundle. The same footprint priced on another cloud or at another size gives
the plan's comparison and scalability tables. The *low* estimate is the footprint; the *high*
estimate allows for autoscaling, one more read replica in production, storage growth and
extra load-balancer traffic.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from opsteam.agents.architect.prices import CloudPrices, PriceTable
from opsteam.agents.base import RoleContext
from opsteam.domain.decisions import TerraformStack
from opsteam.domain.decisions.plan import (
    CostCategory,
    CostEstimate,
    CostItem,
    CostTable,
    PlatformKey,
)
from opsteam.domain.models import ChangeRequest, Engine, Environment, Size

OBJECT_GB: dict[Size, int] = {Size.SMALL: 50, Size.MEDIUM: 250, Size.LARGE: 1000, Size.XLARGE: 5000}
LOG_GB: dict[Size, int] = {Size.SMALL: 10, Size.MEDIUM: 50, Size.LARGE: 200, Size.XLARGE: 500}
HOST_DISK_GB: dict[Size, int] = {Size.SMALL: 30, Size.MEDIUM: 50, Size.LARGE: 100, Size.XLARGE: 200}
BACKUP_FACTOR: dict[Environment, float] = {
    Environment.DEV: 0.5,
    Environment.STAGING: 1.0,
    Environment.PROD: 2.0,
}


@dataclass(frozen=True)
class Footprint:
    """What the bundle creates, counted once; the only input of the estimate.

    A Modify prices only what its change adds (an existing load balancer is not this
    bundle's cost), a Remove nothing; a workload on an existing cluster prices no nodes.
    """

    size: Size
    environment: Environment
    cluster: bool = False  # an EKS control plane this stack creates
    nodes: int = 0  # the created node group's minimum ...
    nodes_peak: int = 0  # ... and maximum size
    hosts: int = 0
    bastions: int = 0
    sql_engine: Engine | None = None
    sql_instances: int = 0  # primaries, standbys and same-region replicas
    sql_remote_replicas: int = 0
    sql_storage_gb: int = 0
    backup_plan: bool = False  # AWS Backup (production); elsewhere RDS automated backups
    backup_copies: tuple[str, ...] = field(default_factory=tuple)
    cache_nodes: int = 0
    buckets: int = 0
    export_bucket: bool = False  # the database's backup-export bucket
    log_bucket: bool = False
    state_bucket: bool = False  # the Terraform state bucket the bundle bootstraps
    load_balancer: bool = False
    waf: bool = False
    nat_gateways: int = 0
    vpn_connections: int = 0
    kms_keys: int = 0
    replica_regions: tuple[str, ...] = field(default_factory=tuple)


def footprint(request: ChangeRequest, ctx: RoleContext, size: Size | None = None) -> Footprint:
    """Count the resources the bundle creates (``size`` prices the same design at another
    size): the automation engineer's stack for a New request, the change for a Modify."""
    chosen = size or request.size
    plan = ctx.automation
    if plan is None or plan.mode == "remove":
        return Footprint(size=chosen, environment=request.environment)
    if plan.mode == "modify" or plan.stack is None:
        change = plan.change
        return Footprint(
            size=chosen,
            environment=request.environment,
            vpn_connections=1 if change is not None and change.vpn is not None else 0,
            state_bucket=change is not None and change.backend.bootstrap,
        )
    return _created(request, ctx, plan.stack, chosen)


def _created(
    request: ChangeRequest, ctx: RoleContext, stack: TerraformStack, size: Size
) -> Footprint:
    db, network = ctx.database, ctx.network
    hosts = [h for h in stack.hosts if h.count > 0]
    sql = db is not None and db.engine is not Engine.REDIS
    standby = 2 if db is not None and db.multi_az else 1
    cluster = stack.cluster if stack.cluster is not None and stack.cluster.created else None
    lb = network.load_balancer if network is not None else None
    return Footprint(
        size=size,
        environment=request.environment,
        cluster=cluster is not None,
        nodes=cluster.min_nodes if cluster else 0,
        nodes_peak=cluster.max_nodes if cluster else 0,
        hosts=sum(h.count for h in hosts if not h.name.endswith("-bastion")),
        bastions=sum(h.count for h in hosts if h.name.endswith("-bastion")),
        sql_engine=db.engine if db is not None and sql else None,
        sql_instances=standby * (1 + db.read_replicas) if db is not None and sql else 0,
        sql_remote_replicas=len(db.replica_regions) if db is not None and sql else 0,
        sql_storage_gb=db.storage_gb if db is not None and sql else 0,
        backup_plan=sql and stack.prod,
        backup_copies=tuple(stack.backup_copy_regions) if sql else (),
        cache_nodes=1 + db.read_replicas if db is not None and not sql else 0,
        buckets=len(ctx.storage.buckets) if ctx.storage is not None else 0,
        export_bucket=any(b.purpose == "backups" for b in stack.buckets) and db is not None,
        log_bucket=any(b.purpose == "logs" for b in stack.buckets),
        state_bucket=stack.backend.bootstrap,
        load_balancer=lb is not None,
        waf=lb is not None and lb.scheme == "internet-facing",
        nat_gateways=len(stack.nats),
        vpn_connections=1 if stack.vpn is not None else 0,
        kms_keys=1 if stack.kms_key else 0,
        replica_regions=tuple(db.replica_regions) if db is not None and sql else (),
    )


def _dollars(value: float) -> int:
    """Whole dollars, rounded up (a $0.50 DNS zone is budgeted as $1)."""
    return math.ceil(round(value, 6))


class _Items:
    """Collects priced lines for one platform."""

    def __init__(self, cloud: CloudPrices, hours: int) -> None:
        self.cloud = cloud
        self.hours = hours
        self.items: list[CostItem] = []

    def add(
        self,
        table: CostTable,
        use: str,
        service: str,
        size: str,
        quantity: int,
        low: float,
        high: float,
        resources: tuple[str, ...],
        category: CostCategory = "Cloud infrastructure",
    ) -> None:
        if high <= 0:
            return
        self.items.append(
            CostItem(
                table=table,
                category=category,
                use=use,
                service=service,
                size=size,
                quantity=quantity,
                low=_dollars(low),
                high=_dollars(max(low, high)),
                resources=list(resources),
            )
        )

    def monthly(self, hourly: float, count: float = 1) -> float:
        return hourly * self.hours * count


def _compute(acc: _Items, fp: Footprint) -> None:
    price = acc.cloud.compute.for_size(fp.size)
    if fp.cluster:
        plane = acc.monthly(acc.cloud.kubernetes_hourly)
        acc.add(
            "compute", "Kubernetes control plane", acc.cloud.services.kubernetes, "1 cluster", 1,
            plane, plane, ("aws_eks_cluster",),
        )  # fmt: skip
        acc.add(
            "compute", "Kubernetes nodes", f"{acc.cloud.services.kubernetes} managed nodes",
            price.instance_class, fp.nodes, acc.monthly(price.hourly, fp.nodes),
            acc.monthly(price.hourly, fp.nodes_peak), ("aws_eks_node_group",),
        )  # fmt: skip
    if fp.hosts:
        cost = acc.monthly(price.hourly, fp.hosts)
        acc.add(
            "compute", "Servers", acc.cloud.services.compute, price.instance_class, fp.hosts,
            cost, cost, ("aws_instance",),
        )  # fmt: skip
    if fp.bastions:
        small = acc.cloud.compute.for_size(Size.SMALL)
        cost = acc.monthly(small.hourly, fp.bastions)
        acc.add(
            "compute", "Bastion host", acc.cloud.services.compute, small.instance_class,
            fp.bastions, cost, cost, ("aws_instance",),
        )  # fmt: skip
    machines = fp.hosts + fp.bastions
    if machines:
        gb = HOST_DISK_GB[fp.size] * machines
        disk = gb * acc.cloud.block_gb_month
        acc.add(
            "storage", "Server disks", acc.cloud.services.block_storage, f"{gb} GB", machines,
            disk, disk * 1.5, ("aws_instance",),
        )  # fmt: skip


def _sql(acc: _Items, fp: Footprint) -> None:
    if fp.sql_engine is None:
        return
    price = acc.cloud.database.for_size(fp.size)
    prod = fp.environment is Environment.PROD
    nodes = fp.sql_instances
    peak = nodes + (2 if prod else 0)  # one more Multi-AZ read replica at peak in production
    rds = ("aws_db_instance",)
    acc.add(
        "database",
        f"Database ({fp.sql_engine.value}, primary, standby and read replicas)",
        acc.cloud.services.database,
        price.instance_class,
        nodes,
        acc.monthly(price.hourly, nodes),
        acc.monthly(price.hourly, peak),
        rds,
    )
    for region in fp.replica_regions:
        cost = acc.monthly(price.hourly)
        acc.add(
            "database", f"Cross-region read replica ({region})", acc.cloud.services.database,
            price.instance_class, 1, cost, cost, rds,
        )  # fmt: skip
    gb = fp.sql_storage_gb
    stored = nodes + fp.sql_remote_replicas
    acc.add(
        "storage", "Database storage", acc.cloud.services.database, f"{gb} GB", stored,
        gb * stored * acc.cloud.database_gb_month, gb * 1.5 * peak * acc.cloud.database_gb_month,
        rds,
    )  # fmt: skip
    backup_gb = gb * BACKUP_FACTOR[fp.environment]
    service, kinds = (
        (acc.cloud.services.backup, ("aws_backup_vault", "aws_backup_plan"))
        if fp.backup_plan
        else (f"{acc.cloud.services.database} automated backups", rds)
    )
    acc.add(
        "storage", "Backups", service, f"{backup_gb:g} GB", 1,
        backup_gb * acc.cloud.backup_gb_month, backup_gb * 1.5 * acc.cloud.backup_gb_month, kinds,
    )  # fmt: skip
    for region in fp.backup_copies:
        acc.add(
            "storage", f"Backup copies ({region})", acc.cloud.services.backup, f"{backup_gb:g} GB",
            1, backup_gb * acc.cloud.backup_gb_month, backup_gb * 1.5 * acc.cloud.backup_gb_month,
            ("aws_db_instance_automated_backups_replication",),
        )  # fmt: skip


def _data(acc: _Items, fp: Footprint) -> None:
    _sql(acc, fp)
    s3 = ("aws_s3_bucket",)
    if fp.cache_nodes:
        price = acc.cloud.cache.for_size(fp.size)
        cost = acc.monthly(price.hourly, fp.cache_nodes)
        acc.add(
            "database", "Cache", acc.cloud.services.cache, price.instance_class, fp.cache_nodes,
            cost, cost, ("aws_elasticache_replication_group",),
        )  # fmt: skip
    if fp.buckets:
        gb = OBJECT_GB[fp.size]
        acc.add(
            "storage", "Object storage", acc.cloud.services.object_storage, f"{gb} GB",
            fp.buckets, gb * acc.cloud.object_gb_month, gb * 2 * acc.cloud.object_gb_month, s3,
        )  # fmt: skip
    if fp.export_bucket:
        exported = fp.sql_storage_gb * BACKUP_FACTOR[fp.environment] or OBJECT_GB[Size.SMALL]
        acc.add(
            "storage", "Database exports", acc.cloud.services.object_storage, f"{exported:g} GB",
            1, exported * acc.cloud.object_gb_month, exported * 2 * acc.cloud.object_gb_month, s3,
        )  # fmt: skip
    if fp.log_bucket:
        logs = LOG_GB[fp.size] * BACKUP_FACTOR[fp.environment]
        acc.add(
            "storage", "Logs and metrics", acc.cloud.services.object_storage, f"{logs:g} GB", 1,
            logs * acc.cloud.object_gb_month, logs * 2 * acc.cloud.object_gb_month, s3,
        )  # fmt: skip
    if fp.state_bucket:
        acc.add(
            "storage", "Terraform state", acc.cloud.services.object_storage, "1 GB", 1,
            acc.cloud.object_gb_month, acc.cloud.object_gb_month, s3,
        )  # fmt: skip


def _network(acc: _Items, fp: Footprint) -> None:
    services = acc.cloud.services
    if fp.load_balancer:
        lb = acc.monthly(acc.cloud.load_balancer_hourly)
        acc.add(
            "networking", "Load balancer", services.load_balancer, "1 listener", 1, lb, lb * 1.5,
            ("aws_lb",),
        )  # fmt: skip
    if fp.waf and acc.cloud.waf_month:
        acc.add(
            "security", "Web application firewall", f"{services.load_balancer} WAF",
            "1 ACL, 3 managed rule groups", 1, acc.cloud.waf_month, acc.cloud.waf_month * 2,
            ("aws_wafv2_web_acl",), "Security tools",
        )  # fmt: skip
    if fp.nat_gateways and acc.cloud.suitable_for_private_networking:
        nat = acc.monthly(acc.cloud.nat_hourly, fp.nat_gateways)
        acc.add(
            "networking", "NAT egress", services.nat, f"{fp.nat_gateways} gateway(s)",
            fp.nat_gateways, nat, nat * 1.5, ("aws_nat_gateway",),
        )  # fmt: skip
    if fp.vpn_connections:
        vpn = acc.monthly(acc.cloud.vpn_hourly, fp.vpn_connections)
        acc.add(
            "networking", "VPN", services.vpn, "1 connection (2 tunnels)", fp.vpn_connections,
            vpn, vpn, ("aws_vpn_connection",),
        )  # fmt: skip
    if fp.kms_keys:
        security = acc.cloud.security_month
        acc.add(
            "security", "Encryption keys and secrets", f"{services.kms}, {services.secrets}",
            f"{fp.kms_keys} key(s)", fp.kms_keys, security, security * 1.5, ("aws_kms_key",),
            "Security tools",
        )  # fmt: skip


def estimate(fp: Footprint, prices: PriceTable, platform: PlatformKey) -> CostEstimate:
    """Monthly low/high estimate of the footprint on ``platform``."""
    cloud = prices.cloud(platform)
    acc = _Items(cloud, prices.hours_per_month)
    _compute(acc, fp)
    _data(acc, fp)
    _network(acc, fp)
    return CostEstimate(
        platform=cloud.label,
        items=acc.items,
        low=sum(i.low for i in acc.items),
        high=sum(i.high for i in acc.items),
    )


def totals_by_category(items: Iterable[CostItem]) -> dict[CostCategory, tuple[int, int]]:
    order: tuple[CostCategory, ...] = (
        "Cloud infrastructure",
        "SaaS tools",
        "Domains/DNS",
        "Security tools",
    )
    totals: dict[CostCategory, tuple[int, int]] = dict.fromkeys(order, (0, 0))
    for item in items:
        low, high = totals[item.category]
        totals[item.category] = (low + item.low, high + item.high)
    return totals
