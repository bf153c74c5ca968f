"""Egress routing as Terraform codifies it: NAT gateways and private route tables.

The Network Engineer decided which zones get a NAT gateway (``NetworkPlan.nat_zones``: one per
zone in production, one shared elsewhere). Here they get identifiers and route tables: each
private zone routes through its own zone's gateway when it has one, else the first gateway.
"""

from __future__ import annotations

import re

from opsteam.domain.decisions import NatSpec, NetworkPlan, RouteTableSpec, SubnetSpec


def zone_ident(zone: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", zone.lower()).strip("_")


def routing(
    network: NetworkPlan, subnets: list[SubnetSpec], prefix: str
) -> tuple[list[NatSpec], list[RouteTableSpec]]:
    """(NAT gateways, private route tables) for the subnets the network plan carved."""
    public = {s.zone: s.ident for s in reversed(subnets) if s.tier == "public"}
    private = [s for s in subnets if s.tier != "public"]
    if not private:
        return [], []
    zones = [z for z in network.nat_zones if z in public]
    shared = len(zones) <= 1
    gateways = [
        NatSpec(ident="main" if shared else zone_ident(z), zone=z, subnet=public[z]) for z in zones
    ]
    if shared:
        nat = gateways[0].ident if gateways else None
        table = RouteTableSpec(
            ident="private", name=f"{prefix}-private", nat=nat, subnets=[s.ident for s in private]
        )
        return gateways, [table]
    by_zone = {g.zone: g.ident for g in gateways}
    tables = [
        RouteTableSpec(
            ident=f"private_{zone_ident(zone)}",
            name=f"{prefix}-private-{zone}",
            nat=by_zone.get(zone, gateways[0].ident),
            subnets=[s.ident for s in private if s.zone == zone],
        )
        for zone in dict.fromkeys(s.zone for s in private)
    ]
    return gateways, tables
