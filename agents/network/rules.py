"""Least-privilege firewall rules for the network plan, and the facts they derive from.

Split from :mod:`opsteam.agents.network.role` so the rule logic (the security-critical part) can be
read and tested on its own. Only the load balancer listeners may admit 0.0.0.0/0; every other
rule names a security group or a private CIDR, because a rule opened "just for now" is how
data stores end up on the internet.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Literal

from opsteam.agents.base import RoleContext
from opsteam.agents.network.cidr import MONITORING_NETWORK
from opsteam.domain import naming
from opsteam.domain.decisions import DesignComponent, FirewallRule, MonitoringPath
from opsteam.domain.models import ChangeRequest, ChangeType, Component, Engine

Direction = Literal["ingress", "egress"]
ANYWHERE = "0.0.0.0/0"
DEFAULT_APP_PORT = 8080
SSH_PORT = 22
REDIS_PORT = naming.engine_port(Engine.REDIS)


@dataclass(frozen=True)
class Facts:
    """What the plan is derived from, resolved once from the design or the request."""

    prefix: str
    components: tuple[DesignComponent, ...]
    zones: tuple[str, ...]
    engine: Engine | None
    public: bool
    hosts: bool
    app_ports: tuple[int, ...]
    peer_cidr: str | None
    # The Service's NodePort when a load balancer reaches Kubernetes pods through the nodes.
    node_port: int | None = None
    # The request named no application port: app_ports holds DEFAULT_APP_PORT, assumed.
    app_port_assumed: bool = False

    def has(self, *names: DesignComponent) -> bool:
        return any(n in self.components for n in names)

    @property
    def has_lb(self) -> bool:
        return self.public or self.has("load-balancer", "web")

    @property
    def has_app(self) -> bool:
        return self.has_lb or self.hosts or self.has("kubernetes", "server", "firewall")

    def sg(self, tier: str) -> str:
        return f"{self.prefix}-{tier}"

    @property
    def target_port(self) -> int:
        """Where the load balancer sends traffic: the NodePort, else the app's port."""
        return self.node_port or self.app_ports[0]


# Kubernetes' NodePort range; each service gets a stable port in it (no clash by accident).
NODE_PORTS = range(30000, 32768)


def node_port_for(prefix: str) -> int:
    """A NodePort derived from the stack's name: the same service always gets the same one."""
    return NODE_PORTS[zlib.crc32(prefix.encode()) % len(NODE_PORTS)]


def facts_for(request: ChangeRequest, ctx: RoleContext) -> Facts:
    design = ctx.design
    components = tuple(design.components)
    zones = tuple(design.zones)
    engine = design.engine
    public = design.public_endpoint
    hosts = design.hosts_needed or "server" in components
    # Asking for port 22 means there are hosts to reach: the SSH rule then stays restricted.
    hosts = hosts or SSH_PORT in request.ports
    data_ports = {naming.engine_port(engine)} if engine else set()
    app_ports = tuple(p for p in request.ports if p != SSH_PORT and p not in data_ports)
    peer = (
        str(request.existing_cidrs[0]) if request.existing_cidrs and "vpn" in components else None
    )
    prefix = naming.resource_prefix(request)
    kubernetes = bool({"web", "kubernetes"} & set(components))
    lb = public or bool({"load-balancer", "web"} & set(components))
    return Facts(
        prefix=prefix,
        components=components,
        zones=zones,
        engine=engine,
        public=public,
        hosts=hosts,
        app_ports=app_ports or (DEFAULT_APP_PORT,),
        peer_cidr=peer,
        node_port=node_port_for(prefix) if kubernetes and lb and not hosts else None,
        app_port_assumed=not app_ports,
    )


def _rule(
    name: str,
    direction: Direction,
    port: int,
    source: str,
    destination: str,
    why: str,
    app_port: bool = False,
) -> FirewallRule:
    return FirewallRule(
        name=name,
        direction=direction,
        protocol="tcp",
        port=port,
        source=source,
        destination=destination,
        description=why,
        app_port=app_port,
    )


def _edge_rules(facts: Facts, vpc: str) -> list[FirewallRule]:
    """Load balancer listeners: the only rules that may admit the internet."""
    if not facts.has_lb:
        return []
    alb = facts.sg("alb")
    if not facts.public:
        return [_rule(f"{alb}-https-vpc", "ingress", 443, vpc, alb, "HTTPS from inside the VPC")]
    return [
        _rule(f"{alb}-https", "ingress", 443, ANYWHERE, alb, "HTTPS from the internet"),
        _rule(
            f"{alb}-http-redirect",
            "ingress",
            80,
            ANYWHERE,
            alb,
            "HTTP only to answer with a 301 redirect to HTTPS; never forwarded",
        ),
    ]


def _partner_rule(facts: Facts, peer: str, port: int) -> FirewallRule:
    """The VPN partner reaches the app on its port over the tunnel, from its range only."""
    app = facts.sg("app")
    why = f"application port {port} from the VPN partner {peer} over the tunnel"
    primary = port == facts.app_ports[0]
    return _rule(f"{app}-{port}-vpn-partner", "ingress", port, peer, app, why, primary)


def _app_rules(facts: Facts, vpc: str) -> list[FirewallRule]:
    """App ports only from the load balancer (or the VPC when there is none)."""
    if not facts.has_app:
        return []
    app, alb = facts.sg("app"), facts.sg("alb")
    source = alb if facts.has_lb else vpc
    rules = []
    if facts.node_port is not None:
        return _node_port_rules(facts)
    for port in facts.app_ports:
        primary = port == facts.app_ports[0]  # the plan's app_port (a Terraform variable)
        rules.append(
            _rule(
                f"{app}-{port}",
                "ingress",
                port,
                source,
                app,
                f"application port {port} only from {source}",
                primary,
            )
        )
        if facts.peer_cidr:
            rules.append(_partner_rule(facts, facts.peer_cidr, port))
        if facts.has_lb:
            rules.append(
                _rule(
                    f"{alb}-to-app-{port}",
                    "egress",
                    port,
                    alb,
                    app,
                    f"load balancer forwards to targets on {port}",
                    primary,
                )
            )
    return rules


def _node_port_rules(facts: Facts) -> list[FirewallRule]:
    """The load balancer reaches the pods through the Service's NodePort on the nodes (the
    app group is the nodes' group); kube-proxy forwards to the pods' own port."""
    app, alb = facts.sg("app"), facts.sg("alb")
    port, pod = facts.node_port or 0, facts.app_ports[0]
    why = f"NodePort {port} of the service (pods listen on {pod}) only from {alb}"
    return [
        _rule(f"{app}-{port}", "ingress", port, alb, app, why),
        _rule(
            f"{alb}-to-app-{port}", "egress", port, alb, app, f"load balancer to nodes on {port}"
        ),
    ]


def data_stores(facts: Facts) -> list[tuple[str, int, str]]:
    """(tier, port, engine) of each data store the plan protects."""
    stores: list[tuple[str, int, str]] = []
    if facts.has("database") and facts.engine is not None:
        tier = "cache" if facts.engine is Engine.REDIS else "db"
        stores.append((tier, naming.engine_port(facts.engine), facts.engine.value))
    if facts.has("cache") and all(port != REDIS_PORT for _, port, _ in stores):
        stores.append(("cache", REDIS_PORT, "redis"))
    return stores


def _data_rules(
    facts: Facts,
    private: list[str],
    subnets: bool = True,
    monitoring: MonitoringPath | None = None,
) -> list[FirewallRule]:
    """Data stores accept their one port from the private (app) subnets and nothing else
    (from the VPC's range when the VPC exists and its subnets are not known here), and from
    the monitoring network when Prometheus's exporters live outside the VPC."""
    rules: list[FirewallRule] = []
    for tier, port, label in data_stores(facts):
        target = facts.sg(tier)
        for index, cidr in enumerate(private, start=1):
            rules.append(
                _rule(
                    f"{target}-{port}-private-{index}",
                    "ingress",
                    port,
                    cidr,
                    target,
                    f"{label} only from {'private subnet' if subnets else 'the VPC range'} {cidr}",
                )
            )
        if monitoring is not None and monitoring.variable:
            route = monitoring.route.replace("-", " ")
            why = f"{label} exporter only from the monitoring network (routed by {route})"
            rules.append(
                _rule(
                    f"{target}-{port}-monitoring", "ingress", port, MONITORING_NETWORK, target, why
                )
            )
        if facts.has_app:
            rules.append(
                _rule(
                    f"{facts.sg('app')}-to-{tier}",
                    "egress",
                    port,
                    facts.sg("app"),
                    target,
                    f"app reaches {label} on {port}",
                )
            )
    return rules


NODE_EXPORTER_PORT = 9100


def _admin_rules(facts: Facts, vpc: str) -> list[FirewallRule]:
    """SSH from the bastion or the VPN peer only, metrics to Prometheus inside the VPC, and
    updates over 443 as the only way out."""
    rules: list[FirewallRule] = []
    app = facts.sg("app")
    if facts.hosts:
        port = NODE_EXPORTER_PORT
        why = f"node_exporter metrics on {port} only to Prometheus inside the VPC"
        rules.append(_rule(f"{app}-metrics", "ingress", port, vpc, app, why))
        source = facts.peer_cidr or facts.sg("bastion")
        rules.append(
            _rule(
                f"{app}-ssh",
                "ingress",
                SSH_PORT,
                source,
                app,
                f"SSH only from {source}; never from the internet",
            )
        )
    if facts.has_app:
        rules.append(
            _rule(
                f"{app}-egress-https",
                "egress",
                443,
                app,
                ANYWHERE,
                "HTTPS out via NAT for OS/package updates and cloud APIs only",
            )
        )
    return rules


def firewall_rules(
    request: ChangeRequest,
    facts: Facts,
    vpc: str,
    private: list[str],
    subnets: bool = True,
    monitoring: MonitoringPath | None = None,
) -> list[FirewallRule]:
    """The plan's rules; ``vpc`` is the VPC range (or a marker), ``private`` the app subnets
    (``subnets`` False: the VPC's ranges, when its subnets are not known here); ``monitoring``
    the decided path of Prometheus's exporters to the data stores."""
    rules = _edge_rules(facts, vpc) + _app_rules(facts, vpc)
    rules += _data_rules(facts, private, subnets, monitoring) + _admin_rules(facts, vpc)
    if request.type is ChangeType.MODIFY and request.component is Component.FIREWALL:
        wanted = set(request.ports) or set(facts.app_ports)
        rules = [r for r in rules if r.port in wanted]
    if request.type is ChangeType.REMOVE:
        # Only what exists is removed: no rule may name a bastion the request never had.
        bastion = facts.sg("bastion")
        rules = [r for r in rules if bastion not in (r.source, r.destination)]
        rules = [r.model_copy(update={"description": f"remove: {r.description}"}) for r in rules]
    return rules
