"""The Database Administrator: engine, sizing, HA, backups that meet the RPO, tuning, plans.

``decide`` is pure: the same request and context always give the same :class:`DatabasePlan`.
Backup policy follows the team handbook (continuous WAL + hourly snapshots; hourly kept 7 days,
daily 30 days, weekly 90 days, monthly 1 year in production).
"""

from __future__ import annotations

from dataclasses import dataclass

from opsteam.agents.base import RoleContext, mentions
from opsteam.agents.dba.changes import migration_plan, rollback_plan
from opsteam.agents.dba.windows import backup_rules, windows_for
from opsteam.domain import naming
from opsteam.domain.decisions import BucketPlan, DatabasePlan, DataPlan, StoragePlan
from opsteam.domain.models import (
    Artifact,
    ChangeRequest,
    Component,
    Engine,
    Environment,
    Size,
)
from opsteam.domain.registry import RoleSlug
from opsteam.prompts import render as render_template

ROLE: RoleSlug = "database-administrator"

VERSIONS: dict[Engine, str] = {Engine.POSTGRES: "16", Engine.MYSQL: "8.0", Engine.REDIS: "7.1"}
DEFAULT_RPO_MINUTES: dict[Environment, int] = {
    Environment.PROD: 5,
    Environment.STAGING: 60,
    Environment.DEV: 1440,
}
RETENTION_DAYS: dict[Environment, int] = {
    Environment.PROD: 30,
    Environment.STAGING: 14,
    Environment.DEV: 7,
}
# Instance class and its memory (GiB) per size; RDS and ElastiCache families.
SQL_CLASSES: dict[Size, tuple[str, int]] = {
    Size.SMALL: ("db.t4g.medium", 4),
    Size.MEDIUM: ("db.r6g.large", 16),
    Size.LARGE: ("db.r6g.xlarge", 32),
    Size.XLARGE: ("db.r6g.2xlarge", 64),
}
CACHE_CLASSES: dict[Size, tuple[str, int]] = {
    Size.SMALL: ("cache.t4g.medium", 3),
    Size.MEDIUM: ("cache.r6g.large", 13),
    Size.LARGE: ("cache.r6g.xlarge", 26),
    Size.XLARGE: ("cache.r6g.2xlarge", 52),
}
STORAGE_GB: dict[Size, int] = {Size.SMALL: 20, Size.MEDIUM: 100, Size.LARGE: 500, Size.XLARGE: 1000}
# RDS ships transaction logs to S3 every 5 minutes: the PITR recovery point.
PITR_GRANULARITY_MINUTES = 5
REDIS_SNAPSHOT_MINUTES = 1440  # ElastiCache automatic snapshots are daily


@dataclass(frozen=True)
class BackupPolicy:
    """How recoverable the data is; ``achieved_rpo_minutes`` is the worst-case loss."""

    rpo_minutes: int
    pitr: bool
    synchronous_standby: bool
    snapshot_interval_minutes: int
    retention_days: int
    achieved_rpo_minutes: int
    schedule: str
    caveat: str = ""


SUPPORTED_VERSIONS: dict[Engine, tuple[str, ...]] = {
    Engine.POSTGRES: ("13", "14", "15", "16", "17"),
    Engine.MYSQL: ("8.0", "8.4"),
    Engine.REDIS: ("6.2", "7.0", "7.1"),
}
DATA_STORES = frozenset({"database", "cache"})
MAX_READ_REPLICAS = 5  # RDS allows 5 read replicas per source instance


def version_for(engine: Engine, requested: str | None) -> tuple[str, str]:
    """(version, why): the requested version when the engine supports it, else the default."""
    if requested is None:
        return VERSIONS[engine], "current major version with the longest support"
    if requested in SUPPORTED_VERSIONS[engine]:
        return requested, "the version the request asks for"
    supported = ", ".join(SUPPORTED_VERSIONS[engine])
    return VERSIONS[engine], f"{requested} is not offered (supported: {supported})"


def rpo_for(request: ChangeRequest) -> int:
    if request.rpo_minutes is not None:
        return request.rpo_minutes
    return DEFAULT_RPO_MINUTES[request.environment]


def _long_term(env: Environment) -> str:
    if env is Environment.PROD:
        return "hourly snapshots kept 7 days, daily 30 days, weekly 90 days, monthly 1 year"
    return f"daily snapshots kept {RETENTION_DAYS[env]} days"


def backup_policy(engine: Engine, env: Environment, rpo: int) -> BackupPolicy:
    """The cheapest backup policy whose worst-case data loss is within ``rpo`` minutes."""
    retention = RETENTION_DAYS[env]
    if engine is Engine.REDIS:
        # ElastiCache takes one automatic snapshot a day; there is no log to replay.
        interval = REDIS_SNAPSHOT_MINUTES
        caveat = ""
        if rpo < interval:
            caveat = (
                f"Redis snapshots run daily, so an RPO of {rpo} min holds only for node failures "
                "(replicas); treat the cache as rebuildable from the system of record."
            )
        schedule = f"daily automatic snapshot; kept {retention} days"
        return BackupPolicy(rpo, False, False, interval, retention, interval, schedule, caveat)
    interval = 60 if env is Environment.PROD or rpo <= 60 else 1440
    sync = rpo < PITR_GRANULARITY_MINUTES
    achieved = 0 if sync else PITR_GRANULARITY_MINUTES
    logs = "WAL" if engine is Engine.POSTGRES else "binlog"
    schedule = f"continuous {logs} archiving (PITR, {PITR_GRANULARITY_MINUTES}-minute granularity)"
    if sync:
        schedule += " + synchronous Multi-AZ standby"
    schedule += f" + snapshot every {_every(interval)}; {_long_term(env)}"
    caveat = ""
    if sync:
        caveat = (
            f"An RPO of {rpo} min is met for instance/AZ loss by the synchronous standby; "
            f"logical errors are recoverable to within {PITR_GRANULARITY_MINUTES} min via PITR."
        )
    return BackupPolicy(rpo, True, sync, interval, retention, achieved, schedule, caveat)


def _every(minutes: int) -> str:
    return "hour" if minutes == 60 else f"{minutes // 60} hours"


def read_replicas(engine: Engine, env: Environment, size: Size, wanted: int | None = None) -> int:
    """Replicas per environment and size; an explicit number from the request wins."""
    if wanted is not None:
        return wanted
    return default_replicas(engine, env, size)


def default_replicas(engine: Engine, env: Environment, size: Size) -> int:
    if engine is Engine.REDIS:  # replicas per shard; prod needs one per extra AZ
        return {Environment.PROD: 2, Environment.STAGING: 1, Environment.DEV: 0}[env]
    if env is Environment.PROD:
        return {Size.SMALL: 0, Size.MEDIUM: 1, Size.LARGE: 1, Size.XLARGE: 2}[size]
    if env is Environment.STAGING and size is Size.XLARGE:
        return 1
    return 0


def parameters(engine: Engine, memory_gib: int, *, cache: bool = False) -> dict[str, str]:
    """Parameter-group values, in the units the engine expects."""
    mem_bytes = memory_gib * 1024**3
    if engine is Engine.POSTGRES:
        return {
            "max_connections": str(min(5000, mem_bytes // 9_531_392)),
            "shared_buffers": str(mem_bytes // 4 // 8192),  # 25% of memory, 8 kB pages
            "effective_cache_size": str(mem_bytes * 3 // 4 // 8192),  # 75%, 8 kB pages
            "work_mem": str(max(4096, memory_gib * 1024 // 64)),  # kB
            "maintenance_work_mem": str(min(2 * 1024 * 1024, memory_gib * 1024 * 1024 // 16)),
            "log_min_duration_statement": "500",
            "log_statement": "ddl",
            "rds.force_ssl": "1",
        }
    if engine is Engine.MYSQL:
        return {
            "max_connections": str(min(5000, mem_bytes // 12_582_880)),
            "innodb_buffer_pool_size": str(mem_bytes * 3 // 4),
            "slow_query_log": "1",
            "long_query_time": "0.5",
            "require_secure_transport": "1",  # RDS takes 1/0 (ON/OFF)
        }
    # A cache's keys often have no TTL: with volatile-lru a full cache would refuse writes
    # (OOM) instead of evicting. Redis kept as a data store evicts only keys set to expire.
    policy = "allkeys-lru" if cache else "volatile-lru"
    return {"maxmemory-policy": policy, "timeout": "300", "tcp-keepalive": "60"}


PARAMETER_REASONS: dict[str, str] = {
    "max_connections": "sized from instance memory (RDS default formula), capped at 5000",
    "shared_buffers": "25% of instance memory, in 8 kB pages",
    "effective_cache_size": "75% of instance memory, in 8 kB pages (planner hint)",
    "work_mem": "per sort/hash operation, kB; kept small to bound total memory",
    "maintenance_work_mem": "kB for VACUUM and index builds, 1/16 of memory up to 2 GiB",
    "log_min_duration_statement": "log statements slower than 500 ms",
    "log_statement": "log all DDL for the audit trail",
    "rds.force_ssl": "reject unencrypted client connections",
    "innodb_buffer_pool_size": "75% of instance memory, bytes",
    "slow_query_log": "slow query log on",
    "long_query_time": "log statements slower than 500 ms",
    "require_secure_transport": "1 (ON): reject unencrypted client connections",
    "maxmemory-policy": "when memory is full: a cache evicts its least recently used keys "
    "(allkeys-lru), a data store only keys set to expire (volatile-lru)",
    "timeout": "close idle client connections after 300 s",
    "tcp-keepalive": "detect dead peers after 60 s",
}


def _rationale(
    request: ChangeRequest,
    engine: Engine,
    version: tuple[str, str],
    sizing: tuple[str, int],
    policy: BackupPolicy,
    replicas: int,
) -> list[str]:
    env = request.environment
    cls, mem = sizing
    lines = [
        f"{engine.value} {version[0]}: {version[1]}.",
        f"{cls} ({mem} GiB) for a {request.size.value} workload.",
        f"RPO {policy.rpo_minutes} min: worst-case data loss with this plan is "
        f"{policy.achieved_rpo_minutes} min.",
        f"Retention {policy.retention_days} days of automated backups in {env.value}.",
    ]
    if env is Environment.PROD:
        lines.append("Multi-AZ with automatic failover: production must survive an AZ loss.")
    if replicas:
        lines.append(f"{replicas} read replica(s) to offload reads and speed up failover.")
    for region in request.replica_regions:
        lines.append(f"Cross-region read replica in {region}: a warm copy for regional DR.")
    for region in request.backup_copy_regions:
        lines.append(f"Automated backups copied to {region} for regional recovery.")
    if policy.caveat:
        lines.append(policy.caveat)
    lines.append("Encryption at rest (KMS) and in transit (TLS enforced); deletion protection on.")
    return lines


def _database(request: ChangeRequest, engine: Engine) -> DatabasePlan:
    env = request.environment
    policy = backup_policy(engine, env, rpo_for(request))
    table = CACHE_CLASSES if engine is Engine.REDIS else SQL_CLASSES
    cls, mem = table[request.size]
    replicas = read_replicas(engine, env, request.size, request.read_replicas)
    replicas = min(replicas + request.extra_read_replicas, MAX_READ_REPLICAS)
    multi_az = (
        request.multi_az
        if request.multi_az is not None
        else env is Environment.PROD or policy.synchronous_standby
    )
    if engine is Engine.REDIS and multi_az:
        replicas = max(replicas, 1)  # automatic failover needs a replica in another AZ
    version = version_for(engine, request.engine_version)
    sql = engine is not Engine.REDIS
    windows = windows_for(engine)
    return DatabasePlan(
        engine=engine,
        version=version[0],
        port=naming.engine_port(engine),
        instance_class=cls,
        storage_gb=STORAGE_GB[request.size] if sql else 0,
        multi_az=multi_az,
        read_replicas=replicas,
        backup_schedule=policy.schedule,
        retention_days=policy.retention_days,
        backup_window=windows[0],
        maintenance_window=windows[1],
        backup_rules=backup_rules(*windows) if sql and env is Environment.PROD else [],
        point_in_time_recovery=policy.pitr,
        rpo_minutes=policy.rpo_minutes,
        achieved_rpo_minutes=policy.achieved_rpo_minutes,
        replica_regions=list(request.replica_regions) if sql else [],
        backup_copy_regions=list(request.backup_copy_regions) if sql else [],
        parameters=parameters(engine, mem, cache=request.component is Component.CACHE),
        migration_plan=migration_plan(request, engine, policy),
        rollback_plan=rollback_plan(request, engine, policy),
        rationale=_rationale(request, engine, version, (cls, mem), policy, replicas),
    )


_COLD_WORDS = ("cold storage", "archive", "glacier", "lifecycle", "infrequent")


def _storage(request: ChangeRequest) -> StoragePlan:
    """The object store: versioned, noncurrent versions kept, cold tier when asked for."""
    prod = request.environment is Environment.PROD
    cold = bool(mentions(request.text, _COLD_WORDS))
    bucket = BucketPlan(
        name=f"{naming.resource_prefix(request)}-data",
        purpose="data",
        versioning=True,
        noncurrent_days=365 if prod else 90,
        transition_days=30 if cold else None,
    )
    why = [
        "Versioning on: an overwrite or delete can be undone within the noncurrent window.",
        f"Noncurrent versions kept {bucket.noncurrent_days} days in {request.environment.value}.",
    ]
    if cold:
        why.append("Objects move to an infrequent-access tier after 30 days, as requested.")
    return StoragePlan(buckets=[bucket], rationale=why)


def decide(request: ChangeRequest, ctx: RoleContext) -> DataPlan:
    """A database for the design's engine, object storage for its buckets; nothing invented."""
    components = set(ctx.design.components)
    engine = ctx.design.engine
    database = _database(request, engine) if engine and components & DATA_STORES else None
    storage = _storage(request) if "object-storage" in components else None
    return DataPlan(database=database, storage=storage)


def render(decision: DataPlan, request: ChangeRequest, ctx: RoleContext) -> list[Artifact]:
    content = render_template(
        "dba/database-plan.md.j2",
        plan=decision.database,
        storage=decision.storage,
        request=request,
        role_name=ctx.registry.role(ROLE).name,
        prefix=naming.resource_prefix(request),
        reasons=PARAMETER_REASONS,
    )
    return [Artifact(path="database/database-plan.md", role=ROLE, kind="markdown", content=content)]
