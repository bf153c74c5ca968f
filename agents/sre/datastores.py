"""Checks of the data stores: SQL databases, Redis and object storage, each with its proof.

Database targets are labelled ``role="primary"`` or ``role="replica"`` (the scrape job's target
file, written from the stack's outputs), so a primary that goes down pages even while its
replica is up, and connections are compared with each instance's own limit.
"""

from __future__ import annotations

from opsteam.agents.sre.checks import Check, Target, case, matchers, series, service_labels
from opsteam.domain.decisions.monitoring import InputSeries
from opsteam.domain.models import Engine
from opsteam.domain.severity import HandbookLevel as H

# (up, connections, connection limit, replica lag) per engine, as their exporters name them.
SQL_METRICS: dict[Engine, tuple[str, str, str, str]] = {
    Engine.POSTGRES: (
        "pg_up",
        "pg_stat_activity_count",
        "pg_settings_max_connections",
        "pg_replication_lag_seconds",
    ),
    Engine.MYSQL: (
        "mysql_up",
        "mysql_global_status_threads_connected",
        "mysql_global_variables_max_connections",
        "mysql_slave_status_seconds_behind_master",
    ),
}
CONNECTIONS_RATIO = 0.8
LAG_SECONDS = 30


REDIS_PORT = 6379


def instances(t: Target, kind: str, port: int) -> tuple[dict[str, str], dict[str, str]]:
    """Labels of the primary's and a replica's series, as the ``kind`` scrape job gives them."""
    base = service_labels(t.request, job=t.job(kind))
    primary = {**base, "role": "primary", "instance": f"{t.prefix}.db.internal:{port}"}
    replica = {**base, "role": "replica", "instance": f"{t.prefix}-replica-1.db.internal:{port}"}
    return primary, replica


def _sql_instances(t: Target) -> tuple[dict[str, str], dict[str, str]]:
    engine = t.sql_engine or Engine.POSTGRES
    return instances(t, engine.value, t.sql_port or 5432)


def _connections(t: Target, used: str, limit: str, counts: tuple[int, int]) -> list[InputSeries]:
    primary, replica = _sql_instances(t)
    found = []
    for labels, count in zip((primary, replica), counts, strict=True):
        found += [
            series(used, {**labels, "datname": "app"}, f"{count}x20"),
            series(limit, labels, "100x20"),
        ]
    return found


def _down(t: Target, role: str, level: H, up: str, summary: str) -> Check:
    primary, replica = instances(t, "redis", REDIS_PORT) if up == "redis_up" else _sql_instances(t)
    job = {k: v for k, v in primary.items() if k not in ("role", "instance")}
    sel = matchers({**job, "role": role})
    broken, other = (primary, replica) if role == "primary" else (replica, primary)
    name = "DatabaseDown" if role == "primary" else "DatabaseReplicaDown"
    if up == "redis_up":
        name = "CacheDown" if role == "primary" else "CacheReplicaDown"
    return Check(
        name,
        f"{up}{sel} == 0 or absent({up}{sel})",
        level,
        summary,
        (
            case(
                f"{role} down while the {'replica' if role == 'primary' else 'primary'} is up",
                "40m",
                [series(up, broken, "1 1 0x40"), series(up, other, "1x40")],
                [broken],
            ),
            case(
                f"{role} not scraped", "40m", [series(up, other, "1x40")], [{**job, "role": role}]
            ),
            case("healthy", "40m", [series(up, primary, "1x40"), series(up, replica, "1x40")]),
        ),
    )


def sql_checks(t: Target, primary: bool) -> list[Check]:
    engine = t.sql_engine or Engine.POSTGRES
    up, used, limit, lag = SQL_METRICS[engine]
    where = f"{engine.value} on port {t.sql_port}"
    p, r = _sql_instances(t)
    job = {k: v for k, v in p.items() if k not in ("role", "instance")}
    sel = matchers(job)
    found = [
        _down(t, "primary", H.P0 if primary else H.P1, up, f"Database primary unreachable: {where}")
    ]
    if t.replicas:
        found.append(_down(t, "replica", H.P2, up, f"Database read replica unreachable: {where}"))
    found.append(
        Check(
            "DatabaseConnectionsHigh",
            f"sum by (instance) ({used}{sel}) / on (instance) max by (instance) ({limit}{sel})"
            f" > {CONNECTIONS_RATIO:g}",
            H.P2,
            f"Database connections above 80% of the instance's limit ({where})",
            (
                case(
                    "primary near its limit",
                    "20m",
                    _connections(t, used, limit, (90, 10)),
                    [{"instance": p["instance"]}],
                ),
                case(
                    "two instances at half their limits",
                    "20m",
                    _connections(t, used, limit, (50, 50)),
                ),
                case("healthy", "20m", _connections(t, used, limit, (10, 10))),
            ),
        )
    )
    if t.replicas:
        replica_sel = matchers({**job, "role": "replica"})
        found.append(
            Check(
                "DatabaseReplicationLag",
                f"max by (instance) ({lag}{replica_sel}) > {LAG_SECONDS}",
                H.P2,
                f"Database replica lags more than {LAG_SECONDS} seconds",
                (
                    case(
                        "replica behind",
                        "20m",
                        [series(lag, r, "120x20")],
                        [{"instance": r["instance"]}],
                    ),
                    case("healthy", "20m", [series(lag, r, "1x20")]),
                ),
            )
        )
    return found


def cache_checks(t: Target, primary: bool) -> list[Check]:
    p, _ = instances(t, "redis", REDIS_PORT)
    job = {k: v for k, v in p.items() if k not in ("role", "instance")}
    sel = matchers(job)
    used, limit = "redis_memory_used_bytes", "redis_memory_max_bytes"
    evicted = "redis_evicted_keys_total"

    def memory(fill: int, cap: int) -> list[InputSeries]:
        return [series(used, p, f"{fill}x40"), series(limit, p, f"{cap}x40")]

    return [
        _down(t, "primary", H.P0 if primary else H.P1, "redis_up", "Redis cache unreachable"),
        Check(
            "CacheMemoryHigh",
            f"{used}{sel} / {limit}{sel} > 0.9 and {limit}{sel} > 0",
            H.P2,
            "Redis memory above 90% of maxmemory",
            (
                case("nearly full", "20m", memory(95, 100), [p]),
                case("healthy", "20m", memory(50, 100)),
                case("no maxmemory set", "20m", memory(95, 0)),
            ),
        ),
        Check(
            "CacheEvictions",
            f"sum(rate({evicted}{sel}[10m])) > 0",
            H.P3,
            "Redis is evicting keys",
            (
                case("evicting", "40m", [series(evicted, p, "0+10x40")], [{}]),
                case("healthy", "40m", [series(evicted, p, "0x40")]),
            ),
        ),
    ]


def write_window_hours(t: Target) -> int:
    """How long without a write before the bucket's producer is presumed stopped."""
    return max(1, -(-t.writes_every_minutes // 60)) + 2


def bucket_checks(t: Target) -> list[Check]:
    """The buckets' producers (nightly dumps, exports) still write: CloudWatch request
    metrics (one filter per bucket) record every PUT; none for a whole window means none came."""
    hours = write_window_hours(t)
    job = service_labels(t.request, job=t.job("cloudwatch"))
    metric = "aws_s3_put_requests_sum"
    parts, fires = [], []
    for purpose in t.buckets:
        labels = {**job, "filter_id": f"{purpose}-writes"}
        parts.append(f"absent_over_time({metric}{matchers(labels)}[{hours}h])")
        fires.append(labels)
    first = {**job, "filter_id": f"{t.buckets[0]}-writes"}
    stopped = [series(metric, first, f"1 _x{hours + 4}")]
    steady = [series(metric, f, f"1x{hours + 4}") for f in fires]
    return [
        Check(
            "ObjectWritesStopped",
            " or ".join(parts),
            H.P2,
            f"No object written for {hours} h: the scheduled writer (backups, exports) stopped",
            (
                case("writer stopped", f"{hours + 4}h", stopped, fires, interval="1h"),
                case("nightly writes arrive", f"{hours + 4}h", steady, interval="1h"),
            ),
        )
    ]


STORAGE_FREE_RATIO = 0.1  # RDS storage autoscaling acts below 10% free; still there: stuck
GIB = 2**30


def storage_checks(t: Target) -> list[Check]:
    """Free storage (CloudWatch FreeStorageSpace per instance): a full disk stops every write.

    Storage autoscaling acts below 10% free; 15 minutes still below it means it cannot (the
    ceiling is reached, or the last change was under six hours ago): act before writes fail."""
    job = service_labels(t.request, job=t.job("cloudwatch"))
    metric = "aws_rds_free_storage_space_minimum"
    floor = int(t.storage_gb * GIB * STORAGE_FREE_RATIO)
    db = {**job, "dbinstance_identifier": t.prefix}
    return [
        Check(
            "DatabaseStorageLow",
            f"min by (dbinstance_identifier) ({metric}{matchers(job)}) < {floor}",
            H.P1,
            f"Database free storage below {STORAGE_FREE_RATIO:.0%} of its {t.storage_gb} GiB "
            "and storage autoscaling has not added more: writes stop when it is full",
            (
                case(
                    "nearly full",
                    "30m",
                    [series(metric, db, f"{floor - GIB}x30")],
                    [{"dbinstance_identifier": t.prefix}],
                ),
                case(
                    "autoscaled in time",
                    "30m",
                    [series(metric, db, f"{floor - GIB}x5 {floor * 3}x25")],
                ),
                case("healthy", "30m", [series(metric, db, f"{floor * 5}x30")]),
            ),
            for_="15m",
        ),
        Check(
            "CloudWatchDatabaseStorageMissing",
            f"absent({metric}{matchers(job)})",
            H.P2,
            f"No free-storage data from CloudWatch for {t.prefix}: the CloudWatch exporter "
            "cannot read metrics (IAM role, tags or region); DatabaseStorageLow is blind",
            (
                case("free storage not collected", "20m", [], [job]),
                case("collected", "20m", [series(metric, db, f"{floor * 5}x20")]),
            ),
        ),
    ]


def backup_checks(t: Target) -> list[Check]:
    """Failed AWS Backup jobs of the database's vault (CloudWatch AWS/Backup, per vault): a
    backup that silently fails leaves nothing to restore when it is needed."""
    job = service_labels(t.request, job=t.job("cloudwatch"))
    vault = {**job, "backup_vault_name": t.backup_vault}
    failed = "aws_backup_number_of_backup_jobs_failed_sum"
    copies = "aws_backup_number_of_copy_jobs_failed_sum"
    sel = matchers(vault)
    return [
        Check(
            "DatabaseBackupFailed",
            f"max by (backup_vault_name) (max_over_time({failed}{sel}[6h])) > 0 or "
            f"max by (backup_vault_name) (max_over_time({copies}{sel}[6h])) > 0",
            H.P2,
            f"An AWS Backup job of vault {t.backup_vault} failed in the last 6 hours: "
            "the database's long-term backups are not being taken",
            (
                case(
                    "a backup job failed",
                    "20m",
                    [series(failed, vault, "_x5 1x15")],
                    [{"backup_vault_name": t.backup_vault}],
                ),
                case(
                    "a copy job failed",
                    "20m",
                    [series(copies, vault, "1x20")],
                    [{"backup_vault_name": t.backup_vault}],
                ),
                case("no failures", "20m", [series(failed, vault, "0x20")]),
            ),
            for_="0m",
        )
    ]
