"""Request/context pairs covering each kind of workload the SRE monitors."""

from __future__ import annotations

from opsteam.agents.architect import role as architect
from opsteam.agents.base import RoleContext
from opsteam.domain.decisions import DatabasePlan, HostSpec, ServerBaseline
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


def cases(registry: Registry) -> dict[str, Case]:
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
    }
