"""Section builders for the infrastructure plan: pure functions of the team's decisions.

The plan is assembled after the specialists decided, so every row here reads their decision
(the DBA's backups and recovery point, the automation engineer's replicas, the network's
placement) instead of deciding again. Application and configuration targets follow the team
handbook: application RTO < 5 min in production, configuration restored from Git.
"""

from __future__ import annotations

from datetime import date

from opsteam.agents.architect.prices import CloudPrices
from opsteam.agents.architect.role import REAPPLY_PREVIOUS
from opsteam.agents.architect.schedule import deadline, schedule
from opsteam.agents.base import RoleContext
from opsteam.domain.decisions import ArchitectDesign, LoadBalancer
from opsteam.domain.decisions.plan import (
    BackupItem,
    CurrentStateRow,
    DrTarget,
    PainPoint,
    Priority,
    Requirement,
    RoadmapPhase,
    ScalingRule,
)
from opsteam.domain.decisions.wiring import ClusterSpec
from opsteam.domain.models import ChangeRequest, ChangeType, Engine, Environment

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
    request: ChangeRequest, ctx: RoleContext, cloud: CloudPrices
) -> list[CurrentStateRow]:
    design = ctx.design
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
        CurrentStateRow(component="Storage", current=_storage_now(ctx), status=status, notes=""),
        CurrentStateRow(
            component="Email / productivity",
            current="Not in scope",
            status="Unchanged",
            notes="Not part of this change request",
        ),
    ]


def _storage_now(ctx: RoleContext) -> str:
    stores = []
    if ctx.database is not None:
        kind = "cache" if ctx.database.engine is Engine.REDIS else "database"
        stores.append(f"{ctx.database.engine.value} {kind}")
    if ctx.storage is not None:
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


def autoscaling(ctx: RoleContext) -> list[ScalingRule]:
    """The workload's autoscaling as codified; sections that do not apply say so."""
    k8s = ctx.automation.kubernetes if ctx.automation is not None else None
    if k8s is None:
        return [
            ScalingRule(
                metric="Not applicable",
                scale_up="no autoscaled compute in this design",
                scale_down="-",
                limits="-",
            )
        ]
    stack = ctx.automation.stack if ctx.automation is not None else None
    cluster = stack.cluster if stack is not None else None
    source = (
        "metrics-server, an EKS add-on of this stack"
        if cluster is not None and "metrics-server" in cluster.addons
        else "metrics-server, a prerequisite in the cluster"
    )
    limits = f"{k8s.replicas}-{k8s.max_replicas} pods (HorizontalPodAutoscaler; CPU from {source})"
    return [
        ScalingRule(
            metric="CPU", scale_up=">70% for 5 min", scale_down="<30% for 10 min", limits=limits
        ),
    ]


# Application RTO by environment (minutes): stateless, redeployed from Git.
APP_RTO: dict[Environment, int] = {
    Environment.PROD: 5,
    Environment.STAGING: 60,
    Environment.DEV: 1440,
}
DB_RTO: dict[Environment, int] = {
    Environment.PROD: 30,
    Environment.STAGING: 240,
    Environment.DEV: 1440,
}


def dr_targets(request: ChangeRequest, ctx: RoleContext) -> list[DrTarget]:
    env = request.environment
    app_rto = request.rto_minutes or APP_RTO[env]
    targets = [
        DrTarget(
            system=f"{request.service_name} application",
            rto=duration(app_rto),
            rpo="0 (stateless, redeployed from Git)",
            cost_impact="$$",
        )
    ]
    db = ctx.database
    if db is not None:
        targets.append(
            DrTarget(
                system=f"{db.engine.value} data",
                rto=duration(request.rto_minutes or DB_RTO[env]),
                rpo=duration(db.achieved_rpo_minutes),
                cost_impact="$$$$" if db.achieved_rpo_minutes <= 15 else "$$$",
            )
        )
    if ctx.storage is not None:
        targets.append(
            DrTarget(
                system="Object storage",
                rto=duration(60),
                rpo="0 (versioned objects)",
                cost_impact="$$",
            )
        )
    targets.append(DrTarget(system="Configuration", rto="5 min", rpo="0 (Git)", cost_impact="$"))
    return targets


def backups(ctx: RoleContext) -> list[BackupItem]:
    """The backups the DBA decided and the automation engineer codified, as they are."""
    items = []
    db = ctx.database
    if db is not None:
        copies = ", ".join(db.backup_copy_regions)
        items.append(
            BackupItem(
                data=f"{db.engine.value} data",
                frequency=db.backup_schedule,
                retention=f"{db.retention_days} days of automated backups",
                location=f"{ctx.design.region}" + (f", copies in {copies}" if copies else ""),
            )
        )
    if ctx.storage is not None:
        for bucket in ctx.storage.buckets:
            items.append(
                BackupItem(
                    data=f"Objects ({bucket.name})",
                    frequency="Every write (versioning)",
                    retention=f"noncurrent versions {bucket.noncurrent_days} days",
                    location=ctx.design.region,
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


def recovery_steps(request: ChangeRequest, ctx: RoleContext) -> list[str]:
    steps = ["Declare the incident and page the on-call Site Reliability Engineer."]
    if ctx.database is not None:
        steps.append(
            "Restore the data from the latest backup or point in time within the recovery "
            "point the Database Administrator planned (docs/runbook.md, restore from backup)."
        )
    steps += [
        f"Re-apply infrastructure code for {request.service_name} "
        f"({request.environment.value}) from version control.",
        "Redeploy the application from its last known-good release.",
        "Verify health checks, alerts and dashboards; then restore traffic.",
        "Record the recovery time and data loss against the RTO/RPO targets.",
    ]
    return steps


def in_transit(lb: LoadBalancer | None) -> str:
    """Encryption in transit as the network engineer's listener policy decided it."""
    if lb is None:
        return "TLS 1.3 (minimum TLS 1.2)"
    if len(lb.tls_versions) == 1:
        return (
            f"TLS {lb.min_tls} only at the load balancer ({lb.tls_policy}): "
            "TLS 1.2 clients fail the handshake"
        )
    versions = " and ".join(lb.tls_versions)
    return f"TLS {versions} at the load balancer ({lb.tls_policy}; minimum TLS {lb.min_tls})"


def security(
    request: ChangeRequest,
    design: ArchitectDesign,
    cloud: CloudPrices,
    lb: LoadBalancer | None = None,
    cluster: ClusterSpec | None = None,
) -> list[Requirement]:
    s = cloud.services
    reqs = [
        Requirement(
            name="Encryption at rest",
            detail=f"{s.kms} keys for disks, databases, backups and objects",
        ),
        Requirement(name="Encryption in transit", detail=in_transit(lb)),
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
                detail="Pod Security Standards (restricted), RBAC, NetworkPolicies"
                + _api_access(cluster),
            )
        )
    return reqs


def _api_access(cluster: ClusterSpec | None) -> str:
    access = cluster.api_access if cluster is not None else None
    if access is None or not access.public_endpoint:
        return ""
    return f"; API: private endpoint, public one only to {access.cidrs_variable}, access entries"


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


def roadmap_tasks(request: ChangeRequest, ctx: RoleContext) -> list[str]:
    """The phases of the work, in order (the schedule fits them to the timeline)."""
    env = request.environment.value
    data = ctx.database is not None
    if request.type is ChangeType.REMOVE:
        return [
            "Confirm dependants, take a final backup",
            "Drain traffic, remove DNS and load-balancer entries",
            "Decommission resources through infrastructure code",
            "Remove alerts and dashboards, archive the runbook",
        ]
    if request.type is ChangeType.MODIFY:
        return [
            "Assess current state, snapshot data and configuration",
            "Apply the change in a non-production environment and verify",
            f"Apply in {env} during the maintenance window",
            "Update monitoring and runbook, watch 30 min after the change",
        ]
    tasks = [
        "Network foundation: VPC, subnets, firewall rules, DNS",
        "Compute platform and development environment",
    ]
    if data:
        tasks.append("Data layer: database/cache, backups enabled")
    return [
        *tasks,
        f"Infrastructure as code applied in {env}",
        "Monitoring, alerts, runbook; restore drill",
        "Security hardening review and production readiness gate",
    ]


def roadmap(
    request: ChangeRequest, ctx: RoleContext, today: date
) -> tuple[list[RoadmapPhase], str]:
    """The roadmap fitted to the request's timeline, and the note on how it fits."""
    window = request.maintenance_window
    due = deadline(request.timeline, today, window)
    tasks = roadmap_tasks(request, ctx)
    applied = next((i for i, t in enumerate(tasks, 1) if "applied" in t or "Apply in" in t), 0)
    anchor = (applied, window.start.date()) if window is not None and applied else None
    return schedule(tasks, today, due, anchor)


DATABASE_PLAN = "database/database-plan.md"


def rollback(request: ChangeRequest, ctx: RoleContext) -> list[str]:
    """The design's rollback, with the DBA's database rollback in place of a generic re-apply.

    Re-applying an earlier revision of a per-change stack would not undo a schema change (and
    would drop what the change stack holds, such as the pre-change snapshot): the database
    goes back the way database/database-plan.md says (application, down-migration, restore).
    """
    steps = ctx.design.rollback_plan
    db = ctx.database
    if request.type is not ChangeType.MODIFY or db is None or not db.rollback_plan:
        return list(steps)
    database = [f"Database ({DATABASE_PLAN}): {step}" for step in db.rollback_plan]
    if REAPPLY_PREVIOUS not in steps:
        return [*steps, *database]
    at = steps.index(REAPPLY_PREVIOUS)
    return [*steps[:at], *database, *steps[at + 1 :]]
