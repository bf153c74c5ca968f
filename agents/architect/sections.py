"""Section builders for the infrastructure plan: pure functions of request, design, prices.

Defaults follow the team handbook: production RTO < 30 min / RPO < 5 min for databases,
backup retention hourly 7 d, daily 30 d, weekly 90 d, monthly 1 y; autoscaling at CPU > 70%
for 5 min (up) and < 30% for 10 min (down).
"""

from __future__ import annotations

from opsteam.agents.architect.costs import (
    MAX_INSTANCES,
    datastore_engine,
    has_cache,
    has_sql_database,
)
from opsteam.agents.architect.plan_models import (
    BackupItem,
    CurrentStateRow,
    DrTarget,
    PainPoint,
    Priority,
    Requirement,
    RoadmapPhase,
    ScalingRule,
)
from opsteam.agents.architect.prices import CloudPrices
from opsteam.domain.decisions import ArchitectDesign
from opsteam.domain.models import ChangeRequest, ChangeType, Environment
from opsteam.domain.naming import ENV_REPLICAS, engine_port, namespace

# (app RTO, database RTO, database RPO, file RTO, file RPO) in minutes, by environment.
DR_DEFAULTS: dict[Environment, tuple[int, int, int, int, int]] = {
    Environment.PROD: (5, 30, 5, 240, 1440),
    Environment.STAGING: (60, 240, 60, 1440, 1440),
    Environment.DEV: (1440, 1440, 1440, 2880, 1440),
}
_PRIORITY: dict[str, Priority] = {"high": "P1", "medium": "P2", "low": "P3"}
_RAISE: dict[Priority, Priority] = {"P3": "P2", "P2": "P1", "P1": "P1", "P0": "P0"}


def duration(minutes: int) -> str:
    if minutes == 0:
        return "0 (no data loss)"
    if minutes % 1440 == 0:
        return f"{minutes // 1440} d"
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"


def current_state(
    request: ChangeRequest, design: ArchitectDesign, cloud: CloudPrices
) -> list[CurrentStateRow]:
    status = {
        ChangeType.NEW: "To be built",
        ChangeType.MODIFY: "In service, to be changed",
        ChangeType.REMOVE: "In service, to be decommissioned",
    }[request.type]
    hosting = (
        f"None (new {request.component.value})"
        if request.type is ChangeType.NEW
        else f"Existing {request.component.value} for {request.service_name}"
    )
    ranges = ", ".join(str(c) for c in request.existing_cidrs) or "None declared"
    stated = cloud.label if request.cloud else "Not stated in the request"
    public = design.public_endpoint or "dns" in design.components
    return [
        CurrentStateRow(
            component="Cloud provider",
            current=stated,
            status=status,
            notes=f"Target region {design.region}",
        ),
        CurrentStateRow(
            component="Hosting",
            current=hosting,
            status=status,
            notes=f"Change type {request.type.value}",
        ),
        CurrentStateRow(
            component="Network ranges",
            current=ranges,
            status="In use" if request.existing_cidrs else "None",
            notes="New ranges must not overlap" if request.existing_cidrs else "",
        ),
        CurrentStateRow(
            component="Domain/DNS",
            current=cloud.services.dns if public else "No public name",
            status=status if public else "Unchanged",
            notes="",
        ),
        CurrentStateRow(
            component="Storage", current=_storage_now(request, design), status=status, notes=""
        ),
        CurrentStateRow(
            component="Email / productivity",
            current="Not in scope",
            status="Unchanged",
            notes="Not part of this change request",
        ),
    ]


def _storage_now(request: ChangeRequest, design: ArchitectDesign) -> str:
    stores = []
    if has_sql_database(request, design):
        stores.append(f"{datastore_engine(request, design).value} database")
    if has_cache(request, design):
        stores.append("redis cache")
    if "object-storage" in design.components:
        stores.append("object storage")
    return ", ".join(stores) or "None"


def pain_points(request: ChangeRequest, design: ArchitectDesign) -> list[PainPoint]:
    priority = _PRIORITY[design.risk.level]
    if request.environment is Environment.PROD and design.risk.level != "high":
        priority = _RAISE[priority]
    points = [PainPoint(issue=request.justification, impact=request.impact, priority=priority)]
    for factor in design.risk.factors:
        points.append(
            PainPoint(
                issue=factor, impact=f"Change risk {design.risk.score}/100", priority=priority
            )
        )
    return points


def _box(text: str, width: int) -> list[str]:
    inner = width - 2
    return ["┌" + "─" * inner + "┐", "│" + text.center(inner) + "│", "└" + "─" * inner + "┘"]


def diagram(request: ChangeRequest, design: ArchitectDesign, cloud: CloudPrices) -> str:
    comps = set(design.components)
    public = design.public_endpoint or "web" in comps
    layers = ["Users (internet)" if public else "Internal clients (private network)"]
    if "dns" in comps or public:
        layers.append(f"DNS: {cloud.services.dns}")
    if "load-balancer" in comps or public:
        layers.append(f"Load balancer: {cloud.services.load_balancer}")
    if comps & {"web", "kubernetes"}:
        replicas = ENV_REPLICAS[request.environment]
        layers.append(
            f"{request.service_name} x {replicas} replicas (namespace {namespace(request)})"
        )
    if design.hosts_needed or "server" in comps:
        layers.append(f"{ENV_REPLICAS[request.environment]} server(s): {cloud.services.compute}")
    data = []
    if has_sql_database(request, design):
        engine = datastore_engine(request, design)
        data.append(f"{engine.value} :{engine_port(engine)}")
    if has_cache(request, design):
        data.append("redis cache :6379")
    if data:
        layers.append("Data: " + " + ".join(data))
    if "object-storage" in comps:
        layers.append(f"Object storage: {cloud.services.object_storage}")
    if "vpn" in comps:
        layers.append(f"VPN: {cloud.services.vpn}")
    layers.append("Monitoring: Prometheus + Grafana")
    width = max(61, *(len(layer) + 6 for layer in layers))
    lines: list[str] = []
    for index, layer in enumerate(layers):
        if index:
            lines.append(" " * (width // 2) + "│")
        lines.extend(_box(layer, width))
    return "\n".join(lines)


def autoscaling(request: ChangeRequest) -> list[ScalingRule]:
    env = request.environment
    limits = f"{ENV_REPLICAS[env]}-{MAX_INSTANCES[env]} instances ({env.value})"
    return [
        ScalingRule(
            metric="CPU", scale_up=">70% for 5 min", scale_down="<30% for 10 min", limits=limits
        ),
        ScalingRule(
            metric="Memory", scale_up=">80% for 5 min", scale_down="<40% for 10 min", limits=limits
        ),
    ]


def dr_minutes(request: ChangeRequest) -> tuple[int, int, int, int, int]:
    app_rto, db_rto, db_rpo, file_rto, file_rpo = DR_DEFAULTS[request.environment]
    if request.rto_minutes is not None:
        app_rto = db_rto = request.rto_minutes
    if request.rpo_minutes is not None:
        db_rpo = request.rpo_minutes
        file_rpo = min(file_rpo, request.rpo_minutes)
    return app_rto, db_rto, db_rpo, file_rto, file_rpo


def dr_targets(request: ChangeRequest, design: ArchitectDesign) -> list[DrTarget]:
    app_rto, db_rto, db_rpo, file_rto, file_rpo = dr_minutes(request)
    targets = [
        DrTarget(
            system=f"{request.service_name} application",
            rto=duration(app_rto),
            rpo="0 (stateless, redeployed from Git)",
            cost_impact="$$",
        )
    ]
    if has_sql_database(request, design) or has_cache(request, design):
        targets.append(
            DrTarget(
                system="Database",
                rto=duration(db_rto),
                rpo=duration(db_rpo),
                cost_impact="$$$$" if db_rpo <= 15 else "$$$",
            )
        )
    if "object-storage" in design.components:
        targets.append(
            DrTarget(
                system="File storage",
                rto=duration(file_rto),
                rpo=duration(file_rpo),
                cost_impact="$$",
            )
        )
    targets.append(DrTarget(system="Configuration", rto="5 min", rpo="0 (Git)", cost_impact="$"))
    return targets


def backups(request: ChangeRequest, design: ArchitectDesign) -> list[BackupItem]:
    prod = request.environment is Environment.PROD
    _, _, db_rpo, _, _ = dr_minutes(request)
    retention = (
        "hourly 7 d, daily 30 d, weekly 90 d, monthly 1 y"
        if prod
        else "daily 30 d"
        if request.environment is Environment.STAGING
        else "daily 7 d"
    )
    location = "Cross-region" if prod else "Same region, second zone"
    items = []
    if has_sql_database(request, design) or has_cache(request, design):
        if db_rpo <= 15:
            frequency = "Continuous log archiving + hourly snapshots"
        elif db_rpo <= 60:
            frequency = "Hourly snapshots"
        else:
            frequency = "Daily snapshots"
        items.append(
            BackupItem(data="Database", frequency=frequency, retention=retention, location=location)
        )
    if "object-storage" in design.components or design.hosts_needed:
        items.append(
            BackupItem(
                data="Files and volumes",
                frequency="Daily snapshots",
                retention=retention,
                location=location,
            )
        )
    items.append(
        BackupItem(
            data="Configs",
            frequency="On change",
            retention="90 days",
            location="Version control (Git)",
        )
    )
    return items


def recovery_steps(request: ChangeRequest, design: ArchitectDesign) -> list[str]:
    steps = ["Declare the incident and page the on-call Site Reliability Engineer."]
    if has_sql_database(request, design) or has_cache(request, design):
        steps.append(
            "Restore the database from the latest backup or point in time within "
            "the RPO target (docs/runbook.md, restore from backup)."
        )
    steps += [
        f"Re-apply infrastructure code for {request.service_name} "
        f"({request.environment.value}) from version control.",
        "Redeploy the application from its last known-good release.",
        "Verify health checks, alerts and dashboards; then restore traffic.",
        "Record the recovery time and data loss against the RTO/RPO targets.",
    ]
    return steps


def security(
    request: ChangeRequest,
    design: ArchitectDesign,
    cloud: CloudPrices,
) -> list[Requirement]:
    s = cloud.services
    reqs = [
        Requirement(
            name="Encryption at rest",
            detail=f"{s.kms} keys for disks, databases, backups and objects",
        ),
        Requirement(name="Encryption in transit", detail="TLS 1.3 (minimum TLS 1.2)"),
        Requirement(
            name="Network isolation",
            detail="Private subnets for compute and data; no public database access",
        ),
        Requirement(name="Access control", detail="IAM roles + MFA, least privilege"),
        Requirement(name="Audit logging", detail=s.audit),
        Requirement(name="Credentials storage", detail=f"{s.secrets}; none in code or images"),
    ]
    if design.hosts_needed or "server" in design.components:
        reqs.append(
            Requirement(
                name="Host hardening", detail="CIS-aligned baseline, SSH keys only, patch window"
            )
        )
    if {"web", "kubernetes"} & set(design.components):
        reqs.append(
            Requirement(
                name="Kubernetes",
                detail="Pod Security Standards (restricted), RBAC, NetworkPolicies",
            )
        )
    return reqs


_COMPLIANCE = {
    "gdpr": ("GDPR", "Data residency in {region}; encryption; deletion and export procedures"),
    "hipaa": ("HIPAA", "BAA with {platform} before PHI is stored; encryption; audit logging"),
    "soc2": ("SOC 2", "Central logging, access reviews, change records, tested backups"),
    "pci-dss": ("PCI-DSS", "Segmented cardholder-data subnets; encryption; quarterly scans"),
}


def compliance(
    request: ChangeRequest,
    design: ArchitectDesign,
    label: str,
) -> list[Requirement]:
    if not request.compliance:
        return [
            Requirement(
                name="None declared",
                detail="No regulation declared in the request; revisit if "
                "regulated data is introduced",
            )
        ]
    return [
        Requirement(
            name=_COMPLIANCE[key][0],
            detail=_COMPLIANCE[key][1].format(region=design.region, platform=label),
        )
        for key in request.compliance
    ]


def roadmap(request: ChangeRequest, design: ArchitectDesign) -> list[RoadmapPhase]:
    env = request.environment.value
    data = has_sql_database(request, design) or has_cache(request, design)
    if request.type is ChangeType.REMOVE:
        tasks = [
            "Confirm dependants, take a final backup",
            "Drain traffic, remove DNS and load-balancer entries",
            "Decommission resources through infrastructure code",
            "Remove alerts and dashboards, archive the runbook",
        ]
    elif request.type is ChangeType.MODIFY:
        tasks = [
            "Assess current state, snapshot data and configuration",
            "Apply the change in a non-production environment and verify",
            f"Apply in {env} during the maintenance window",
            "Update monitoring and runbook, watch 30 min after the change",
        ]
    else:
        tasks = [
            "Network foundation: VPC, subnets, firewall rules, DNS",
            "Compute platform and development environment",
        ]
        if data:
            tasks.append("Data layer: database/cache, backups enabled")
        tasks += [
            f"Production infrastructure as code applied in {env}",
            "Monitoring, alerts, runbook; restore drill",
            "Security hardening review and production readiness gate",
        ]
    return [
        RoadmapPhase(
            phase=i,
            tasks=task,
            timeline=f"Week {i}",
            dependencies="None" if i == 1 else f"Phase {i - 1}",
        )
        for i, task in enumerate(tasks, start=1)
    ]
