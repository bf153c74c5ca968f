"""The Database Administrator's change steps: how a change reaches the data, and how it is
undone the DBA's way (application first, down-migration, restore), never by re-applying an
older Terraform revision.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from opsteam.domain import naming
from opsteam.domain.models import ChangeRequest, ChangeType, Engine

if TYPE_CHECKING:
    from opsteam.agents.dba.role import BackupPolicy


def migration_plan(request: ChangeRequest, engine: Engine, policy: BackupPolicy) -> list[str]:
    prefix = naming.resource_prefix(request)
    if request.type is ChangeType.NEW:
        return [
            f"Provision {prefix} from the Terraform in this bundle (no data to migrate).",
            "Create application roles with least privilege; store credentials in the secrets "
            "manager, never in code.",
            *monitoring_login(engine),
            "Run schema migrations from the application's migration tool in a transaction.",
            "Verify backups: restore the first snapshot into a scratch instance and compare.",
        ]
    if request.type is ChangeType.MODIFY and engine is not Engine.REDIS and schema_change(request):
        return schema_migration_steps(prefix, engine)
    if request.type is ChangeType.MODIFY:
        return [
            f"Take a manual snapshot of {prefix} before the change and wait until it is available.",
            "Apply the change in staging first with production-like data volume.",
            "Apply parameter/class changes in the maintenance window; Multi-AZ fails over "
            "to the standby first to keep downtime to a failover (about 1-2 minutes)."
            if engine is not Engine.REDIS
            else "Apply node changes in the maintenance window; replicas are promoted one by one.",
            "Schema changes: expand (additive, backward compatible) then contract in a later "
            "release; never drop or rename a column in the same release that stops using it.",
            "Watch replication lag, connections and error rate for 30 minutes after the change.",
        ]
    return [
        f"Confirm with the data owner that {prefix} has no remaining readers or writers "
        "(connections at zero for 7 days).",
        f"Take a final snapshot and keep it for {max(policy.retention_days, 30)} days; "
        "export to the backup bucket if retention beyond that is required.",
        "Only after written approval at the production checkpoint: turn deletion protection "
        "off, then delete the instance with a final snapshot.",
        "Remove the parameter group, subnet group and alarms once the instance is gone.",
    ]


def monitoring_login(engine: Engine) -> list[str]:
    """The login the metrics exporter reads with: without it the exporter cannot log in and
    the database's down alert pages from the first scrape."""
    login = naming.MONITORING_LOGIN
    grant = {
        Engine.POSTGRES: (
            f"`CREATE ROLE {login} LOGIN PASSWORD '...'; GRANT pg_monitor TO {login};`"
        ),
        Engine.MYSQL: (
            f"`CREATE USER '{login}'@'%' IDENTIFIED BY '...' WITH MAX_USER_CONNECTIONS 3; "
            f"GRANT PROCESS, REPLICATION CLIENT, SELECT ON *.* TO '{login}'@'%';`"
        ),
    }.get(engine)
    if grant is None:
        return []
    return [
        f"Create the `{login}` login the metrics exporter uses, read-only: {grant} Put its "
        "password in the secrets manager for the exporter's credentials Secret."
    ]


_SCHEMA_WORDS = re.compile(r"\b(schema|columns?|index(es)?|migrations?|tables?)\b", re.IGNORECASE)


def schema_change(request: ChangeRequest) -> bool:
    """True when the request changes tables rather than the instance (class, parameters)."""
    return bool(_SCHEMA_WORDS.search(f"{request.request} {request.description}"))


def schema_migration_steps(prefix: str, engine: Engine) -> list[str]:
    """Online expand/contract steps: no table rewrite, no lock queue, no blocking index build."""
    if engine is Engine.POSTGRES:
        ddl = [
            "Set `lock_timeout = '5s'` for the migration session so DDL never queues behind "
            "long transactions and blocks traffic; retry on timeout.",
            "Expand: add new columns as NULL-able without a volatile default (a metadata-only "
            "change, no table rewrite); backfill existing rows in small batches if needed.",
            "Build indexes with `CREATE INDEX CONCURRENTLY`, outside a transaction (mark that "
            "migration step non-transactional); check `pg_index.indisvalid` and rebuild an "
            "invalid index before continuing.",
        ]
    else:
        ddl = [
            "Run each DDL with `ALGORITHM=INSTANT` (or `INPLACE`) and `LOCK=NONE` so the "
            "statement fails instead of copying or locking the table; set "
            "`lock_wait_timeout` to a few seconds and retry on timeout.",
            "Expand: add new columns as NULL-able; backfill existing rows in small batches.",
        ]
    return [
        f"Take a manual snapshot of {prefix} before the change and wait until it is available.",
        "Rehearse on a restore of the latest production snapshot in staging and time every "
        "statement; abort if any step rewrites or locks the table for more than a few seconds.",
        *ddl,
        "Release the application version that uses the new schema only after the expand step "
        "is verified; the previous release must keep working against the expanded schema.",
        "Contract (drop or rename anything old) in a later release, never in this change.",
        "Watch replication lag, locks, connections and error rate for 30 minutes after the change.",
    ]


def schema_rollback_steps(engine: Engine) -> list[str]:
    drop_index = (
        "`DROP INDEX CONCURRENTLY`" if engine is Engine.POSTGRES else "`DROP INDEX ... LOCK=NONE`"
    )
    return [
        "Roll the application back to the previous release first; it ignores the new columns.",
        f"Run the down-migration: {drop_index} for new indexes, then drop new columns (same "
        "lock timeout) once no running release reads them.",
    ]


def rollback_plan(request: ChangeRequest, engine: Engine, policy: BackupPolicy) -> list[str]:
    restore = (
        f"Restore to a point in time just before the change (PITR, {policy.retention_days}-day "
        "window) or from the pre-change snapshot."
        if policy.pitr
        else "Restore the pre-change snapshot into a new replication group and repoint clients."
    )
    if request.type is ChangeType.NEW:
        return [
            "Nothing depends on the new instance yet: destroy it with Terraform "
            "(final snapshot kept).",
        ]
    if request.type is ChangeType.MODIFY and engine is not Engine.REDIS and schema_change(request):
        return [*schema_rollback_steps(engine), restore]
    if request.type is ChangeType.MODIFY:
        return [
            "Revert the Terraform change (instance class / parameters) and re-apply.",
            "For schema changes, run the down-migration; the expand/contract order keeps "
            "the previous release compatible.",
            restore,
        ]
    return [
        "Before deletion: re-enable deletion protection and cancel the removal.",
        "After deletion: restore the final snapshot into a new instance with the same name "
        "and parameter group, then repoint clients.",
    ]
