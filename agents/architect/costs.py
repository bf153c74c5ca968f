"""Monthly cost estimates for a design on one platform, from the dated price table.

Pure arithmetic: the same request, design and price table always give the same numbers.
The *low* estimate is the baseline footprint; the *high* estimate assumes autoscaling to
double the baseline (within the environment's limit), one more read replica in production, storage
growth headroom and extra load-balancer traffic.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from opsteam.agents.architect.plan_models import CostCategory, CostEstimate, CostItem, CostTable
from opsteam.agents.architect.prices import CloudPrices, PlatformKey, PriceTable
from opsteam.agents.dba.role import STORAGE_GB, read_replicas
from opsteam.domain.decisions import ArchitectDesign
from opsteam.domain.models import ChangeRequest, Engine, Environment, Size
from opsteam.domain.naming import ENV_REPLICAS

# Autoscaling limits (instances) by environment; the plan's scalability section shows them.
MAX_INSTANCES: dict[Environment, int] = {
    Environment.DEV: 2,
    Environment.STAGING: 4,
    Environment.PROD: 10,
}
# Database storage and replica counts are the Database Administrator's, so the plan prices
# exactly the instances the Terraform provisions.
DATABASE_GB = STORAGE_GB
OBJECT_GB: dict[Size, int] = {Size.SMALL: 50, Size.MEDIUM: 250, Size.LARGE: 1000, Size.XLARGE: 5000}
LOG_GB: dict[Size, int] = {Size.SMALL: 10, Size.MEDIUM: 50, Size.LARGE: 200, Size.XLARGE: 500}
HOST_DISK_GB: dict[Size, int] = {Size.SMALL: 30, Size.MEDIUM: 50, Size.LARGE: 100, Size.XLARGE: 200}
BACKUP_FACTOR: dict[Environment, float] = {
    Environment.DEV: 0.5,
    Environment.STAGING: 1.0,
    Environment.PROD: 2.0,
}
COMPUTE_COMPONENTS = frozenset({"web", "kubernetes"})
PRIVATE_COMPONENTS = frozenset({"web", "kubernetes", "server", "database", "cache"})


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
            )
        )

    def monthly(self, hourly: float, count: float = 1) -> float:
        return hourly * self.hours * count


def datastore_engine(request: ChangeRequest, design: ArchitectDesign) -> Engine:
    return design.engine or request.engine or Engine.POSTGRES


def has_cache(request: ChangeRequest, design: ArchitectDesign) -> bool:
    comps = set(design.components)
    return "cache" in comps or (
        "database" in comps and datastore_engine(request, design) is Engine.REDIS
    )


def has_sql_database(request: ChangeRequest, design: ArchitectDesign) -> bool:
    return "database" in design.components and (
        datastore_engine(request, design) is not Engine.REDIS
    )


def _compute(acc: _Items, request: ChangeRequest, design: ArchitectDesign, size: Size) -> None:
    env = request.environment
    comps = set(design.components)
    price = acc.cloud.compute.for_size(size)
    if comps & COMPUTE_COMPONENTS:
        base = ENV_REPLICAS[env]
        peak = min(base * 2, MAX_INSTANCES[env])
        service = (
            f"{acc.cloud.services.kubernetes} worker nodes"
            if acc.cloud.suitable_for_kubernetes
            else acc.cloud.services.compute
        )
        acc.add(
            "compute",
            "Web app / API",
            service,
            price.instance_class,
            base,
            acc.monthly(price.hourly, base),
            acc.monthly(price.hourly, peak),
        )
        if acc.cloud.kubernetes_hourly > 0:
            control = acc.monthly(acc.cloud.kubernetes_hourly)
            acc.add(
                "compute",
                "Kubernetes control plane",
                acc.cloud.services.kubernetes,
                "managed",
                1,
                control,
                control,
            )
    if design.hosts_needed or "server" in comps:
        hosts = ENV_REPLICAS[env]
        cost = acc.monthly(price.hourly, hosts)
        acc.add(
            "compute",
            "Servers",
            acc.cloud.services.compute,
            price.instance_class,
            hosts,
            cost,
            cost,
        )
        disk = HOST_DISK_GB[size] * hosts * acc.cloud.block_gb_month
        acc.add(
            "storage",
            "Server disks",
            acc.cloud.services.block_storage,
            f"{HOST_DISK_GB[size] * hosts} GB",
            hosts,
            disk,
            disk * 1.5,
        )


def _data(acc: _Items, request: ChangeRequest, design: ArchitectDesign, size: Size) -> None:
    env = request.environment
    prod = env is Environment.PROD
    if has_sql_database(request, design):
        engine = datastore_engine(request, design).value
        price = acc.cloud.database.for_size(size)
        replicas = read_replicas(datastore_engine(request, design), env, size)
        per_instance = 2 if prod else 1  # production runs each instance Multi-AZ (standby)
        nodes = per_instance * (1 + replicas)
        peak = nodes + per_instance if prod else nodes  # plus one more read replica at peak
        acc.add(
            "database",
            f"Primary DB ({engine})" + (f" + {replicas} read replica(s)" if replicas else ""),
            acc.cloud.services.database,
            price.instance_class,
            nodes,
            acc.monthly(price.hourly, nodes),
            acc.monthly(price.hourly, peak),
        )
        gb = DATABASE_GB[size]
        acc.add(
            "storage",
            "Database storage",
            acc.cloud.services.database,
            f"{gb} GB",
            nodes,
            gb * nodes * acc.cloud.database_gb_month,
            gb * 1.5 * peak * acc.cloud.database_gb_month,
        )
        backup_gb = gb * BACKUP_FACTOR[env]
        acc.add(
            "storage",
            "Backups",
            acc.cloud.services.backup,
            f"{backup_gb:g} GB",
            1,
            backup_gb * acc.cloud.backup_gb_month,
            backup_gb * 1.5 * acc.cloud.backup_gb_month,
        )
    if has_cache(request, design):
        price = acc.cloud.cache.for_size(size)
        replicas = read_replicas(Engine.REDIS, env, size)
        nodes = 1 + (max(replicas, 1) if prod else replicas)  # primary + replicas per shard
        cost = acc.monthly(price.hourly, nodes)
        acc.add(
            "database", "Cache", acc.cloud.services.cache, price.instance_class, nodes, cost, cost
        )
    if "object-storage" in design.components:
        gb = OBJECT_GB[size]
        acc.add(
            "storage",
            "User uploads / objects",
            acc.cloud.services.object_storage,
            f"{gb} GB",
            1,
            gb * acc.cloud.object_gb_month,
            gb * 2 * acc.cloud.object_gb_month,
        )
    logs = LOG_GB[size] * BACKUP_FACTOR[env]
    acc.add(
        "storage",
        "Logs and metrics",
        acc.cloud.services.object_storage,
        f"{logs:g} GB",
        1,
        logs * acc.cloud.object_gb_month,
        logs * 2 * acc.cloud.object_gb_month,
    )


def _network(acc: _Items, request: ChangeRequest, design: ArchitectDesign) -> None:
    comps = set(design.components)
    services = acc.cloud.services
    public = design.public_endpoint or "web" in comps
    if "load-balancer" in comps or public:
        lb = acc.monthly(acc.cloud.load_balancer_hourly)
        acc.add(
            "networking", "Load balancer", services.load_balancer, "1 listener", 1, lb, lb * 1.5
        )
    if comps & PRIVATE_COMPONENTS and acc.cloud.suitable_for_private_networking:
        gateways = max(1, len(design.zones)) if request.environment is Environment.PROD else 1
        nat = acc.monthly(acc.cloud.nat_hourly, gateways)
        acc.add(
            "networking",
            "NAT egress",
            services.nat,
            f"{gateways} gateway(s)",
            gateways,
            nat,
            nat * 1.5,
        )
    if "dns" in comps or public:
        acc.add(
            "networking",
            "DNS",
            services.dns,
            "1 hosted zone",
            1,
            acc.cloud.dns_zone_month,
            acc.cloud.dns_zone_month * 2,
            "Domains/DNS",
        )
    if "vpn" in comps:
        tunnels = 2 if request.environment is Environment.PROD else 1
        vpn = acc.monthly(acc.cloud.vpn_hourly, tunnels)
        acc.add("networking", "VPN", services.vpn, f"{tunnels} tunnel(s)", tunnels, vpn, vpn)
    security = acc.cloud.security_month
    acc.add(
        "security",
        "Keys, secrets and audit logs",
        f"{services.kms}, {services.secrets}, {services.audit}",
        "baseline",
        1,
        security,
        security * 1.5,
        "Security tools",
    )


def estimate(
    request: ChangeRequest,
    design: ArchitectDesign,
    prices: PriceTable,
    platform: PlatformKey,
    size: Size | None = None,
) -> CostEstimate:
    """Monthly low/high estimate of ``design`` on ``platform`` (default: request size)."""
    cloud = prices.cloud(platform)
    acc = _Items(cloud, prices.hours_per_month)
    chosen = size or request.size
    _compute(acc, request, design, chosen)
    _data(acc, request, design, chosen)
    _network(acc, request, design)
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
