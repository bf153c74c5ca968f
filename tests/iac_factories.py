"""Small local factories for the DBA and automation tests (other roles are built elsewhere)."""

from __future__ import annotations

from typing import Any

from opsteam.agents.base import RoleContext
from opsteam.agents.dba import role as dba
from opsteam.domain import naming
from opsteam.domain.decisions import (
    ArchitectDesign,
    Assignment,
    DatabasePlan,
    DesignComponent,
    DnsRecord,
    FirewallRule,
    HostSpec,
    LoadBalancer,
    NetworkPlan,
    RiskAssessment,
    ServerBaseline,
    Subnet,
)
from opsteam.domain.models import ChangeRequest, Engine
from opsteam.domain.registry import load_registry
from tests.factories import ZONES, design


def make_request(**overrides: Any) -> ChangeRequest:
    fields: dict[str, Any] = {
        "request": "Billing API with Postgres",
        "type": "New",
        "component": "database",
        "description": "A web API for billing backed by a Postgres database.",
        "justification": "New product line.",
        "timeline": "Q1",
        "impact": "New service, no existing users.",
        "requester": "Dana",
        "environment": "prod",
        "service": "billing",
    }
    fields.update(overrides)
    return ChangeRequest(**fields)


def make_design(
    components: list[DesignComponent] | None = None,
    engine: Engine | None = Engine.POSTGRES,
    hosts_needed: bool = True,
) -> ArchitectDesign:
    return design(
        summary="design",
        components=components or ["web", "database", "object-storage", "server", "load-balancer"],
        assignments=[Assignment(role="network-engineer", reason="r", tasks=["t"])],
        risk=RiskAssessment(level="medium", score=40, factors=["f"]),
        engine=engine,
        hosts_needed=hosts_needed,
    )


def make_network(db_port: int = 5432, zones: int = 3) -> NetworkPlan:
    subnets: list[Subnet] = []
    for i, zone in enumerate(ZONES[:zones]):
        subnets.append(
            Subnet(name=f"public-{zone}", tier="public", zone=zone, cidr=f"10.20.{i}.0/24")
        )
        subnets.append(
            Subnet(name=f"private-{zone}", tier="private", zone=zone, cidr=f"10.20.{10 + i}.0/24")
        )
        subnets.append(
            Subnet(name=f"data-{zone}", tier="data", zone=zone, cidr=f"10.20.{20 + i}.0/24")
        )
    rules = [
        FirewallRule(
            name="https-in",
            direction="ingress",
            protocol="tcp",
            port=443,
            source="0.0.0.0/0",
            destination="lb",
            description="HTTPS from the internet",
        ),
        FirewallRule(
            name="lb-to-app",
            direction="egress",
            protocol="tcp",
            port=8080,
            source="lb",
            destination="app",
            description="LB to app",
        ),
        FirewallRule(
            name="app-from-lb",
            direction="ingress",
            protocol="tcp",
            port=8080,
            source="lb",
            destination="app",
            description="App from LB",
        ),
        FirewallRule(
            name="db-from-app",
            direction="ingress",
            protocol="tcp",
            port=db_port,
            source="app",
            destination="db",
            description="Database from app",
        ),
        FirewallRule(
            name="app-to-db",
            direction="egress",
            protocol="tcp",
            port=db_port,
            source="app",
            destination="db",
            description="App to database",
        ),
        FirewallRule(
            name="app-https-out",
            direction="egress",
            protocol="tcp",
            port=443,
            source="app",
            destination="0.0.0.0/0",
            description="Package mirrors",
        ),
    ]
    return NetworkPlan(
        vpc_cidr="10.20.0.0/16",
        subnets=subnets,
        rules=rules,
        dns_records=[DnsRecord(name="billing.example.com", type="ALIAS", value="lb", ttl=300)],
        load_balancer=LoadBalancer(
            name="billing-prod",
            scheme="internet-facing",
            listener_port=443,
            target_port=8443,
            tls_policy="ELBSecurityPolicy-TLS13-1-2-2021-06",
            certificate="billing.example.com",
            health_check_path="/healthz",
        ),
    )


def make_servers() -> ServerBaseline:
    return ServerBaseline(
        hosts=[
            HostSpec(
                name="app",
                purpose="application workers",
                os="Ubuntu 24.04 LTS",
                instance_type="m7g.large",
                count=2,
            )
        ],
        hardening=[
            "disable root SSH login",
            "enable unattended security upgrades",
            "enable auditd",
            "enable the host firewall",
        ],
        ssh_policy=["key-based authentication only", "no password authentication"],
        patch_window="Sunday 02:00-04:00 UTC",
        config_management="ansible",
    )


def make_ctx(request: ChangeRequest, **overrides: Any) -> RoleContext:
    design = overrides.pop("design", make_design())
    base = RoleContext(registry=load_registry(), design=design)
    database: DatabasePlan | None = overrides.pop("database", None)
    if database is None and design.engine is not None:
        database = dba.decide(request, base).database
    port = database.port if database else naming.engine_port(Engine.POSTGRES)
    fields: dict[str, Any] = {
        "registry": base.registry,
        "design": design,
        "network": make_network(port),
        "servers": make_servers() if design.hosts_needed else None,
        "database": database,
    }
    fields.update(overrides)
    return RoleContext(**fields)


def ctx_for(request: ChangeRequest) -> RoleContext:
    """The architect's real design for ``request``, as every specialist receives it."""
    from opsteam.agents.architect import role as architect

    registry = load_registry()
    return RoleContext(registry=registry, design=architect.decide(request, registry))


def database_plan(request: ChangeRequest, ctx: RoleContext) -> DatabasePlan:
    """The DBA's database decision (the test fails if the DBA planned none)."""
    plan = dba.decide(request, ctx).database
    assert plan is not None, "the DBA planned no database for this design"
    return plan


def planned(request: ChangeRequest) -> DatabasePlan:
    """The DBA's database for ``request`` under the architect's own design."""
    return database_plan(request, ctx_for(request))
