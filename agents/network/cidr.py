"""Pure CIDR arithmetic for the network plan.

Address plans are hard to change once workloads run in them, so the choice must be
reproducible (same request, same ranges) and must never collide with ranges the requester
already uses: overlapping ranges break peering, VPN routing and on-premises reachability.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network
from typing import Literal

from opsteam.domain.inputs import DEFAULT_ADDRESS_POOL
from opsteam.domain.models import Environment

Tier = Literal["public", "private", "data"]
TIERS: tuple[Tier, ...] = ("public", "private", "data")

# The default pool, searched in order (settings may configure another: ``address_pool``).
SEARCH_SPACE: tuple[IPv4Network, ...] = DEFAULT_ADDRESS_POOL

# Production gets a full /16 so it can grow zones and tiers without re-addressing;
# dev is short-lived and small, so it takes less of the shared private space.
VPC_PREFIX: dict[Environment, int] = {
    Environment.DEV: 20,
    Environment.STAGING: 18,
    Environment.PROD: 16,
}

# The network plan's VPC range for a Modify whose request names none: the existing VPC's
# range is then an input of the Terraform (``var.vpc_cidr``), never a newly chosen range.
EXISTING_VPC = "existing VPC, passed as variables"
VPC_CIDR_VARIABLE = "var.vpc_cidr"
# The monitoring network's range (where Prometheus's exporters connect from): a Terraform input.
MONITORING_NETWORK = "monitoring network (var.monitoring_cidr)"
MONITORING_CIDR_VARIABLE = "var.monitoring_cidr"
# Rule sources that are ranges Terraform takes as inputs, and the variables that hold them.
CIDR_INPUTS = {EXISTING_VPC: VPC_CIDR_VARIABLE, MONITORING_NETWORK: MONITORING_CIDR_VARIABLE}
# Where traffic from "the VPC" may come from when its range is not known: private space only.
PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")


def vpc_ranges(vpc_cidr: str) -> list[str]:
    """The VPC range as CIDRs: itself, or the private ranges when it is the existing-VPC marker."""
    return list(PRIVATE_RANGES) if vpc_cidr == EXISTING_VPC else [vpc_cidr]


# AWS refuses subnets smaller than /28.
SMALLEST_SUBNET = 28


def vpc_prefix(environment: Environment) -> int:
    return VPC_PREFIX[environment]


def _overlapping(candidate: IPv4Network, taken: Iterable[IPv4Network]) -> IPv4Network | None:
    for net in taken:
        if candidate.overlaps(net):
            return net
    return None


def _next_aligned(after: IPv4Address, prefix: int) -> int:
    """First address of the first /prefix block that starts after ``after``."""
    size = 1 << (32 - prefix)
    return ((int(after) // size) + 1) * size


def choose_vpc(
    existing: Sequence[IPv4Network],
    prefix: int,
    pool: Sequence[IPv4Network] = SEARCH_SPACE,
) -> IPv4Network:
    """The lowest /prefix block of the pool (searched in order) that overlaps none of
    ``existing`` (the requester's ranges and those opsteam already allocated).

    First-fit keeps the answer stable when unrelated ranges are added later above it.
    Raises ValueError when every candidate block collides.
    """
    if not 8 <= prefix <= SMALLEST_SUBNET:
        raise ValueError(f"VPC prefix /{prefix} is outside /8-/{SMALLEST_SUBNET}")
    for space in pool:
        if prefix < space.prefixlen:
            continue
        start = int(space.network_address)
        end = int(space.broadcast_address)
        while start <= end:
            candidate = IPv4Network((start, prefix))
            clash = _overlapping(candidate, existing)
            if clash is None:
                return candidate
            # Skip past the whole colliding range instead of testing every block in it.
            start = _next_aligned(max(clash.broadcast_address, candidate.network_address), prefix)
    spaces = ", ".join(str(s) for s in pool)
    raise ValueError(
        f"no free /{prefix} range in {spaces}: the existing and allocated CIDRs cover all "
        "candidates; free a range, widen the address pool or request a smaller network"
    )


def carve_subnets(
    vpc: IPv4Network, zones: Sequence[str], tiers: Sequence[Tier] = TIERS
) -> list[tuple[Tier, str, IPv4Network]]:
    """Per-zone subnets for each tier, as (tier, zone, network).

    The VPC is split into four equal tier blocks (public, private, data and one kept free
    for growth), and each tier block into one subnet per zone. Equal blocks keep every
    subnet aligned, so none can overlap another or leave the VPC.
    """
    if not zones:
        raise ValueError("at least one availability zone is needed to carve subnets")
    if len(set(zones)) != len(zones):
        raise ValueError(f"availability zones must be distinct: {list(zones)}")
    if not tiers or len(tiers) > 4:
        raise ValueError("between one and four subnet tiers are supported")
    tier_prefix = vpc.prefixlen + 2
    zone_prefix = tier_prefix + math.ceil(math.log2(len(zones))) if len(zones) > 1 else tier_prefix
    if zone_prefix > SMALLEST_SUBNET:
        raise ValueError(
            f"{vpc} is too small for {len(zones)} zone(s) x {len(tiers)} tier(s): "
            f"subnets would be /{zone_prefix}, smaller than /{SMALLEST_SUBNET}"
        )
    blocks = list(vpc.subnets(new_prefix=tier_prefix))
    carved: list[tuple[Tier, str, IPv4Network]] = []
    for tier, block in zip(tiers, blocks, strict=False):
        for zone, net in zip(zones, block.subnets(new_prefix=zone_prefix), strict=False):
            carved.append((tier, zone, net))
    return carved
