"""Egress routing for the network plan's subnets: NAT gateways and private route tables.

Production gets one NAT gateway and one private route table per zone, so losing a zone (or
its NAT gateway) never cuts the other zones off; dev and staging share one of each, as the
plan's cost table prices them. Pure: the network template only renders these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from opsteam.domain.decisions import NetworkPlan


@dataclass(frozen=True)
class Nat:
    ident: str  # aws_nat_gateway / aws_eip identifier
    zone: str
    subnet: str  # identifier of the public subnet it lives in


@dataclass(frozen=True)
class RouteTable:
    ident: str  # aws_route_table identifier
    name: str
    nat: str | None  # aws_nat_gateway identifier of the default route, if any
    subnets: tuple[str, ...] = field(default_factory=tuple)  # subnet identifiers associated


def _zone_ident(zone: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", zone.lower()).strip("_")


def routing(
    network: NetworkPlan,
    subnet_idents: dict[str, str],
    prefix: str,
    *,
    prod: bool,
    nat: bool,
) -> tuple[list[Nat], list[RouteTable]]:
    """(NAT gateways, private route tables); ``subnet_idents`` maps subnet name -> identifier."""
    public = {
        s.zone: subnet_idents[s.name] for s in reversed(network.subnets) if s.tier == "public"
    }
    private = [s for s in network.subnets if s.tier != "public"]
    zones = list(dict.fromkeys(s.zone for s in network.subnets if s.tier == "public"))
    if not private:
        return [], []
    if not prod:
        gateway = [Nat("main", zones[0], public[zones[0]])] if nat and zones else []
        table = RouteTable(
            "private",
            f"{prefix}-private",
            gateway[0].ident if gateway else None,
            tuple(subnet_idents[s.name] for s in private),
        )
        return gateway, [table]
    gateways = [Nat(_zone_ident(z), z, public[z]) for z in zones] if nat else []
    by_zone = {g.zone: g.ident for g in gateways}
    fallback = gateways[0].ident if gateways else None
    tables: list[RouteTable] = []
    for zone in dict.fromkeys(s.zone for s in private):
        tables.append(
            RouteTable(
                f"private_{_zone_ident(zone)}",
                f"{prefix}-private-{zone}",
                by_zone.get(zone, fallback),
                tuple(subnet_idents[s.name] for s in private if s.zone == zone),
            )
        )
    return gateways, tables
