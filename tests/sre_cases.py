"""Request/context pairs covering each kind of workload the SRE monitors."""

from __future__ import annotations

from dataclasses import replace

from opsteam.agents.architect import role as architect
from opsteam.agents.base import RoleContext
from opsteam.agents.network import role as network
from opsteam.domain.decisions import (
    BucketPlan,
    DatabasePlan,
    HostSpec,
    ServerBaseline,
    StoragePlan,
)
from opsteam.domain.models import ChangeRequest
from opsteam.domain.registry import Registry
from tests.plan_factories import make_design, make_request

Case = tuple[ChangeRequest, RoleContext]


def mysql_plan(port: int = 3307, read_replicas: int = 1) -> DatabasePlan:
    return DatabasePlan(
        engine="mysql",
        version="8.0",
        port=port,
        instance_class="db.m6g.large",
        storage_gb=100,
        multi_az=True,
        read_replicas=read_replicas,
        backup_schedule="hourly",
        retention_days=30,
        point_in_time_recovery=True,
        rpo_minutes=5,
        achieved_rpo_minutes=5,
    )


def baseline(hardening: list[str]) -> ServerBaseline:
    host = HostSpec(
        name="batch", purpose="batch jobs", os="ubuntu-24.04", instance_type="m6i.large", count=2
    )
    return ServerBaseline(
        hosts=[host],
        hardening=hardening,
        ssh_policy=["keys only"],
        patch_window="Sun 02:00 UTC",
        config_management="ansible",
    )


def with_network(case: Case) -> Case:
    """The case with the network engineer's real plan (what the SRE probes and watches)."""
    request, ctx = case
    if not {"web", "load-balancer", "dns", "vpn", "server"} & set(ctx.design.components):
        return case
    return request, replace(ctx, network=network.decide(request, ctx))


def cases(registry: Registry) -> dict[str, Case]:
    return {name: with_network(case) for name, case in _cases(registry).items()}


def _cases(registry: Registry) -> dict[str, Case]:
    web = make_design()
    return {
        "web-postgres-prod": (make_request(), RoleContext(registry=registry, design=web)),
        "remove-web-prod": (
            make_request(type="Remove"),
            RoleContext(registry=registry, design=web),
        ),
        "web-mysql-staging": (
            make_request(environment="staging"),
            RoleContext(
                registry=registry, design=make_design(engine="mysql"), database=mysql_plan()
            ),
        ),
        "cache-only-dev": (
            make_request(environment="dev", component="cache", service="catalog-cache"),
            RoleContext(
                registry=registry,
                design=make_design(
                    components=["cache", "monitoring"], engine="redis", public_endpoint=False
                ),
            ),
        ),
        "servers-prod": (
            make_request(component="server", service="batch-hosts"),
            RoleContext(
                registry=registry,
                design=make_design(
                    components=["server", "firewall"],
                    engine=None,
                    hosts_needed=True,
                    public_endpoint=False,
                ),
                servers=baseline(["cis level 1", "auditd"]),
            ),
        ),
        "dns-only": (
            make_request(component="dns", service="docs-site"),
            RoleContext(
                registry=registry,
                design=make_design(components=["dns"], engine=None, public_endpoint=True),
            ),
        ),
        "architect-designed-web": (
            make_request(component="kubernetes"),
            RoleContext(
                registry=registry,
                design=architect.decide(make_request(component="kubernetes"), registry),
            ),
        ),
        "vpn-modify-prod": (
            make_request(
                type="Modify",
                component="vpn",
                service="shipping-api",
                existing_cidrs=["192.168.40.0/24", "10.40.0.0/16"],
            ),
            RoleContext(
                registry=registry,
                design=make_design(
                    components=["vpn", "firewall"], engine=None, public_endpoint=False
                ),
            ),
        ),
        "bucket-staging": (
            make_request(environment="staging", component="storage", service="db-backups"),
            RoleContext(
                registry=registry,
                design=make_design(
                    components=["object-storage"], engine=None, public_endpoint=False
                ),
                storage=StoragePlan(
                    buckets=[
                        BucketPlan(
                            name="db-backups-staging-backups",
                            purpose="backups",
                            versioning=True,
                            noncurrent_days=90,
                        )
                    ]
                ),
            ),
        ),
    }
