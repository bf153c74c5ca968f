"""What the Site Reliability Engineer watches, and each check turned into a rendered rule.

:func:`target` resolves the service from the design and the other roles' decisions once;
:func:`finalize` applies the handbook per environment (dev and staging never page P0), maps
each level to the incident scale in one place (:mod:`opsteam.domain.severity`), links the
absolute runbook URL and attaches the responder's procedure.
"""

from __future__ import annotations

from opsteam.agents.base import RoleContext
from opsteam.agents.sre import procedures
from opsteam.agents.sre.checks import FOR, Check, Target
from opsteam.domain.decisions import AlertRule, NetworkPlan
from opsteam.domain.models import ChangeRequest, Engine
from opsteam.domain.naming import engine_port, resource_prefix
from opsteam.domain.registry import RoleSlug
from opsteam.domain.severity import RESPONSE_TIME, alert_level, incident_severity

ROLE: RoleSlug = "site-reliability-engineer"
_ALERT_OWNERS: dict[str, RoleSlug] = {
    "Database": "database-administrator",
    "Cache": "database-administrator",
    "ObjectWrites": "database-administrator",
    "Host": "systems-administrator",
    "Endpoint": "network-engineer",
    "Certificate": "network-engineer",
    "Vpn": "network-engineer",
}


def alert_owner(name: str) -> RoleSlug:
    """Who answers an alert, from the part of the system it watches."""
    return next((s for start, s in _ALERT_OWNERS.items() if name.startswith(start)), ROLE)


def probe_url(network: NetworkPlan | None) -> str:
    """The endpoint users reach: the load balancer's name and health path, else the first
    public DNS record."""
    if network is None:
        return ""
    lb = network.load_balancer
    if lb is not None:
        return f"https://{lb.certificate}{lb.health_check_path}"
    record = next((d.name for d in network.dns_records if not d.name.endswith(".internal")), "")
    return f"https://{record}/" if record else ""


def target(request: ChangeRequest, ctx: RoleContext) -> Target:
    """What to watch: the design's components, the DBA's engine/port, the hosts, the VPN."""
    design = ctx.design
    comps = frozenset(design.components)
    database = ctx.database
    engine = database.engine if database is not None else design.engine
    sql_engine = engine if "database" in comps and engine not in (None, Engine.REDIS) else None
    port = None
    if sql_engine is not None:
        port = database.port if database is not None else engine_port(sql_engine)
    hosts = (
        "server" in comps
        or design.hosts_needed
        or (ctx.servers is not None and any(h.count > 0 for h in ctx.servers.hosts))
    )
    url = probe_url(ctx.network)
    lb = ctx.network.load_balancer if ctx.network is not None else None
    storage = ctx.storage if "object-storage" in comps else None
    return Target(
        request=request,
        kubernetes=bool(comps & {"web", "kubernetes"}),
        web="web" in comps,
        sql_engine=sql_engine,
        sql_port=port,
        cache="cache" in comps or ("database" in comps and engine is Engine.REDIS),
        hosts=hosts,
        endpoint=bool(url) and (bool(comps & {"load-balancer", "dns"}) or design.public_endpoint),
        replicas=database is not None and database.read_replicas > 0,
        replica_count=database.read_replicas if database is not None else 0,
        vpn="vpn" in comps and ctx.network is not None and bool(ctx.network.vpn),
        buckets=tuple(b.purpose for b in storage.buckets) if storage is not None else (),
        probe_url=url,
        private_ca=lb is not None and lb.private_ca,
        region=design.region,
        writes_every_minutes=request.rpo_minutes or 1440,
        storage_gb=database.storage_gb if database is not None and sql_engine else 0,
        backup_vault=_backup_vault(ctx),
    )


def _backup_vault(ctx: RoleContext) -> str:
    """The vault the automation engineer's stack creates for the DBA's backup rules."""
    plan, db = ctx.automation, ctx.database
    if plan is None or plan.stack is None or db is None or not db.backup_rules:
        return ""
    return plan.stack.prefix


def runbook_url(request: ChangeRequest, base: str) -> str:
    """Where this bundle's runbook is published (absolute: Alertmanager links need it)."""
    return f"{base.rstrip('/')}/{resource_prefix(request)}/docs/runbook.md"


def finalize(checks: list[Check], t: Target, ctx: RoleContext, url: str) -> list[AlertRule]:
    """The rules as rendered: level capped per environment, both severity scales, the
    responder, the absolute runbook link and the procedure."""
    env = t.request.environment.value
    rules = []
    for check in checks:
        level = alert_level(check.level, env)
        owner = ctx.registry.role(alert_owner(check.name)).name
        labels = {
            "severity": level.value,
            "incident_severity": incident_severity(level).value,
            "service": t.request.service_name,
            "environment": env,
        }
        annotations = {
            "summary": check.summary,
            "description": f"Respond: {RESPONSE_TIME[level]}. First responder: {owner}.",
            "runbook_url": f"{url}#{check.name.lower()}",
        }
        rules.append(
            AlertRule.model_validate(
                {
                    "name": check.name,
                    "expr": check.expr,
                    "for": check.for_ or FOR[level.value],
                    "severity": level.value,
                    "summary": check.summary,
                    "labels": labels,
                    "annotations": annotations,
                    "cases": list(check.cases),
                    "procedure": procedures.procedure(check.name, t, ctx.database),
                }
            )
        )
    return rules
