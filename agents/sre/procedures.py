"""What the responder does for each alert: real commands for this service's engine, provider,
names and the TLS/authentication its Terraform enforces, decided with the alert.

A runbook that repeats "check the dashboard" under every alert is not one: each procedure
names the identifiers the bundle creates (instances, replication group, VPN connection,
namespace) so the first command can be pasted during the incident.
"""

from __future__ import annotations

from collections.abc import Callable

from opsteam.agents.sre.checks import Target
from opsteam.domain.decisions import DatabasePlan
from opsteam.domain.models import ChangeRequest, ChangeType, Engine
from opsteam.domain.naming import namespace

CA_BUNDLE = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
ONCALL_DB_USER = "oncall"  # an IAM-authenticated database role (rds_iam), no password stored


def _rds(t: Target, db: DatabasePlan | None) -> dict[str, str]:
    region = t.region
    return {
        "id": t.prefix,
        "replica": f"{t.prefix}-replica-1",
        "region": region,
        "port": str(t.sql_port or (db.port if db else 5432)),
        "endpoint": f"$(aws rds describe-db-instances --region {region} --db-instance-identifier "
        f"{t.prefix} --query 'DBInstances[0].Endpoint.Address' --output text)",
    }


def connect(t: Target, db: DatabasePlan | None) -> list[str]:
    """Connection commands with the TLS verification and IAM authentication Terraform sets."""
    r = _rds(t, db)
    token = (
        f'TOKEN=$(aws rds generate-db-auth-token --region {r["region"]} --hostname "$HOST" '
        f"--port {r['port']} --username {ONCALL_DB_USER})"
    )
    steps = [
        f"Fetch the RDS CA bundle once: `curl -sSo global-bundle.pem {CA_BUNDLE}`.",
        f"`HOST={r['endpoint']}` then `{token}` (IAM authentication: no password is stored).",
    ]
    if t.sql_engine is Engine.MYSQL:
        steps.append(
            f'Connect (TLS verified): `mysql --host="$HOST" --port={r["port"]} '
            f'--user={ONCALL_DB_USER} --password="$TOKEN" --enable-cleartext-plugin '
            "--ssl-mode=VERIFY_IDENTITY --ssl-ca=global-bundle.pem`."
        )
    else:
        steps.append(
            f'Connect (TLS verified, the server refuses plain text): `psql "host=$HOST '
            f"port={r['port']} dbname=postgres user={ONCALL_DB_USER} password=$TOKEN "
            'sslmode=verify-full sslrootcert=global-bundle.pem"`.'
        )
    return steps


def _database_down(t: Target, db: DatabasePlan | None) -> list[str]:
    r = _rds(t, db)
    steps = [
        f"Status and recent events: `aws rds describe-db-instances --region {r['region']} "
        f"--db-instance-identifier {r['id']} --query 'DBInstances[0].DBInstanceStatus'` and "
        f"`aws rds describe-events --region {r['region']} --source-identifier {r['id']} "
        "--source-type db-instance --duration 60`.",
        *connect(t, db)[1:],
    ]
    if db is not None and db.multi_az:
        steps.append(
            "Multi-AZ: if the instance is stuck (not failing over by itself), force the "
            f"failover to the standby: `aws rds reboot-db-instance --region {r['region']} "
            f"--db-instance-identifier {r['id']} --force-failover`."
        )
    if db is not None and db.read_replicas:
        steps.append(
            "If the primary cannot be recovered within the RTO, promote the read replica "
            f"(irreversible: it stops replicating): `aws rds promote-read-replica --region "
            f"{r['region']} --db-instance-identifier {r['replica']}`, then point the "
            "application's database host at it and keep writes off the old primary."
        )
    for region in db.replica_regions if db is not None else []:
        steps.append(
            f"Region lost: promote the DR replica `aws rds promote-read-replica --region "
            f"{region} --db-instance-identifier {t.prefix}-{region}`."
        )
    steps += point_in_time_restore(t, db)
    return steps


def point_in_time_restore(t: Target, db: DatabasePlan | None) -> list[str]:
    """Restore to a new instance at a point in time: never over the primary."""
    r = _rds(t, db)
    size = f" --db-instance-class {db.instance_class}" if db is not None else ""
    return [
        "Data damaged or lost: find the latest restorable time `aws rds describe-db-instances "
        f"--region {r['region']} --db-instance-identifier {r['id']} "
        "--query 'DBInstances[0].LatestRestorableTime'`, then restore to a new instance: "
        f"`aws rds restore-db-instance-to-point-in-time --region {r['region']} "
        f"--source-db-instance-identifier {r['id']} --target-db-instance-identifier "
        f"{r['id']}-pitr-$(date -u +%Y%m%d%H%M) --restore-time <UTC time before the damage>"
        f"{size} --db-subnet-group-name <the primary's subnet group> "
        "--vpc-security-group-ids <the primary's security group>` and wait with "
        f"`aws rds wait db-instance-available --region {r['region']} "
        f"--db-instance-identifier {r['id']}-pitr-<timestamp>`; verify it, then repoint.",
    ]


def _connections(t: Target, db: DatabasePlan | None) -> list[str]:
    return [
        *connect(t, db),
        "Who holds the connections: `SELECT usename, application_name, state, count(*) FROM "
        "pg_stat_activity GROUP BY 1, 2, 3 ORDER BY 4 DESC;`"
        if t.sql_engine is not Engine.MYSQL
        else "Who holds the connections: `SELECT user, host, command, COUNT(*) FROM "
        "information_schema.processlist GROUP BY 1, 2, 3 ORDER BY 4 DESC;`",
        "Idle-in-transaction sessions or a connection leak after a release: roll the release "
        "back; add a connection pooler before raising max_connections (a parameter change).",
    ]


def _lag(t: Target, db: DatabasePlan | None) -> list[str]:
    r = _rds(t, db)
    return [
        f"Replica lag in CloudWatch: `aws cloudwatch get-metric-statistics --region {r['region']} "
        "--namespace AWS/RDS --metric-name ReplicaLag --dimensions "
        f"Name=DBInstanceIdentifier,Value={r['replica']} --statistics Maximum --period 60 "
        "--start-time $(date -u -d '-30 min' +%FT%TZ) --end-time $(date -u +%FT%TZ)`.",
        "Long-running queries on the replica or a write burst on the primary (connect as above)"
        " are the usual causes; reads that need fresh data go to the primary meanwhile.",
    ]


def _cache(t: Target, db: DatabasePlan | None) -> list[str]:
    group = t.prefix[:40]
    steps = [
        f"Status: `aws elasticache describe-replication-groups --region {t.region} "
        f"--replication-group-id {group} --query 'ReplicationGroups[0].[Status,NodeGroups]'`.",
        "Connect (TLS, AUTH token from the secrets manager): `redis-cli -h "
        f"$(aws elasticache describe-replication-groups --region {t.region} "
        f"--replication-group-id {group} --query "
        "'ReplicationGroups[0].NodeGroups[0].PrimaryEndpoint.Address' --output text) "
        "-p 6379 --tls --askpass` then `INFO memory` and `INFO stats` (evicted_keys).",
    ]
    if db is not None and db.multi_az:
        steps.append(
            f"Primary node lost and not replaced: `aws elasticache test-failover --region "
            f"{t.region} --replication-group-id {group} --node-group-id 0001`."
        )
    return steps


def _kubernetes(t: Target, db: DatabasePlan | None) -> list[str]:
    ns, app = namespace(t.request), t.request.service_name
    return [
        f"Workload: `kubectl -n {ns} get deploy,rs,pods -l app.kubernetes.io/name={app} -o wide`"
        f" and `kubectl -n {ns} describe deploy/{app}`.",
        f"Why pods fail: `kubectl -n {ns} get events --sort-by=.lastTimestamp` and "
        f"`kubectl -n {ns} logs deploy/{app} --since=30m` (`--previous` after a crash).",
        f"A release caused it: `kubectl -n {ns} rollout undo deploy/{app}` and "
        f"`kubectl -n {ns} rollout status deploy/{app}`.",
    ]


def _endpoint(t: Target, db: DatabasePlan | None) -> list[str]:
    url = t.probe_url or "https://<service hostname>/healthz"
    host = url.split("/")[2] if "://" in url else url
    return [
        f"From outside: `curl -sv {url}` and `dig +short {host}`.",
        "Targets behind the load balancer: `aws elbv2 describe-target-health --region "
        f"{t.region} --target-group-arn $(terraform -chdir=terraform output -raw "
        "target_group_arn)` (unhealthy nodes: no ready pod, or the NodePort rule is missing).",
    ]


def _certificate(t: Target, db: DatabasePlan | None) -> list[str]:
    url = t.probe_url or "https://<service hostname>/"
    host = url.split("/")[2] if "://" in url else url
    describe = (
        f"`aws acm describe-certificate --region {t.region} --certificate-arn <listener "
        "certificate> --query 'Certificate.[NotAfter,RenewalSummary]'`"
    )
    served = (
        f"Expiry as served: `echo | openssl s_client -connect {host}:443 -servername {host} "
        "2>/dev/null | openssl x509 -noout -enddate`."
    )
    if t.private_ca:
        return [
            served,
            f"ACM renews certificates of your private CA itself: {describe}; a failed renewal "
            "usually means the CA is no longer ACTIVE or no longer lets this account issue: "
            f"`aws acm-pca describe-certificate-authority --region {t.region} "
            "--certificate-authority-arn <private_ca_arn>`.",
        ]
    return [
        served,
        f"ACM renews DNS-validated certificates itself: {describe}; a failed renewal usually "
        "means the validation CNAME was removed from the zone: restore it.",
    ]


def _hosts(t: Target, db: DatabasePlan | None) -> list[str]:
    svc, env = t.request.service_name, t.request.environment.value
    return [
        f"Which hosts: `aws ec2 describe-instances --region {t.region} --filters "
        f"Name=tag:Service,Values={svc} Name=tag:Environment,Values={env} --query "
        "'Reservations[].Instances[].[InstanceId,State.Name,PrivateIpAddress]'`.",
        f"On the host (no SSH from the internet): `aws ssm start-session --region {t.region} "
        "--target <instance-id>`, then `systemctl status prometheus-node-exporter`, "
        "`df -h`, `free -m`, `top -bn1 | head -20`, `journalctl -p err --since -1h`.",
    ]


def _vpn(t: Target, db: DatabasePlan | None) -> list[str]:
    name = f"{t.prefix}-partner"
    conn = (
        f"$(aws ec2 describe-vpn-connections --region {t.region} --filters "
        f"Name=tag:Name,Values={name} --query 'VpnConnections[0].VpnConnectionId' --output text)"
    )
    return [
        f"Tunnel status: `VPN={conn}` then `aws ec2 describe-vpn-connections --region "
        f"{t.region} --vpn-connection-ids $VPN --query 'VpnConnections[0].VgwTelemetry"
        "[].[OutsideIpAddress,Status,StatusMessage,LastStatusChange]'`.",
        f"IKE/IPsec negotiation: `aws logs tail /vpn/{t.prefix} --region {t.region} --since 30m`"
        " (phase 1/2 mismatches, dead-peer detection, the partner's address changed).",
        "Renegotiate one tunnel without touching the other: `aws ec2 replace-vpn-tunnel "
        f"--region {t.region} --vpn-connection-id $VPN --vpn-tunnel-outside-ip-address "
        "<tunnel outside IP>`.",
        "Re-key (pre-shared key leaked or rotated with the partner): agree the new key over a "
        "second channel, then `aws ec2 modify-vpn-tunnel-options --region "
        f"{t.region} --vpn-connection-id $VPN --vpn-tunnel-outside-ip-address <tunnel outside "
        "IP> --tunnel-options PreSharedKey=<new key from the secrets manager>`, one tunnel at a "
        "time, confirming the first is UP before the second.",
    ]


def _objects(t: Target, db: DatabasePlan | None) -> list[str]:
    return [
        f'Newest object: `B=$(aws s3api list-buckets --query "Buckets[?starts_with(Name, '
        f"'{t.prefix}-')].Name\" --output text)` then, per bucket, `aws s3api "
        "list-objects-v2 --bucket <bucket> --query 'sort_by(Contents, &LastModified)[-1]"
        ".[Key,LastModified]'`.",
        "The writer (the nightly dump or export job) failed or lost permission: check its "
        "last run and its role's access to the bucket and the KMS key; run it again by hand.",
    ]


def _targets(t: Target, db: DatabasePlan | None) -> list[str]:
    return [
        "Which targets are down: the Prometheus targets page for the job, filtered on "
        f'`service="{t.request.service_name}"`; then the host or pod behind each one.',
    ]


def _storage(t: Target, db: DatabasePlan | None) -> list[str]:
    r = _rds(t, db)
    return [
        f"Storage and its ceiling: `aws rds describe-db-instances --region {r['region']} "
        f"--db-instance-identifier {r['id']} --query 'DBInstances[0].[AllocatedStorage,"
        "MaxAllocatedStorage,PendingModifiedValues]'`; autoscaling waits six hours between "
        "changes and stops at MaxAllocatedStorage.",
        "What grows: table and index sizes (`pg_total_relation_size` / `information_schema."
        "TABLES`), temporary files of long queries, unreplayed WAL of a stalled replica or "
        "replication slot; end the cause first.",
        f"Add storage now (no downtime): `aws rds modify-db-instance --region {r['region']} "
        f"--db-instance-identifier {r['id']} --allocated-storage <GiB, at least 10% more> "
        "--apply-immediately`, then raise `allocated_storage` / `max_allocated_storage` in "
        "the Terraform so the next apply keeps it.",
    ]


def _backup_jobs(t: Target, db: DatabasePlan | None) -> list[str]:
    vault = t.backup_vault
    return [
        f"Failed jobs and why: `aws backup list-backup-jobs --region {t.region} "
        f"--by-backup-vault-name {vault} --by-state FAILED --query 'BackupJobs[].[CreationDate,"
        "StatusMessage]'` (and `aws backup list-copy-jobs --by-state FAILED` for copies).",
        "Usual causes: the backup role lost access to the KMS key, the job overlapped RDS's "
        "backup or maintenance window, or the instance was not available.",
        f"After the fix, take one now: `aws backup start-backup-job --region {t.region} "
        f"--backup-vault-name {vault} --resource-arn <database ARN> --iam-role-arn <backup "
        "role ARN>` and watch it complete; the automated backups (PITR) are unaffected.",
    ]


def _cloudwatch_reader(t: Target, db: DatabasePlan | None) -> list[str]:
    exporter = f"{t.prefix}-cloudwatch-exporter"
    return [
        f"The exporter's errors: `kubectl -n monitoring logs deploy/{exporter} --since 30m`. "
        "AccessDenied: the ServiceAccount's `eks.amazonaws.com/role-arn` annotation or the "
        "role's trust (the cluster's OIDC provider) is wrong.",
        f"The role's access: `kubectl -n monitoring get sa {exporter} -o yaml`, then "
        "`aws iam simulate-principal-policy --policy-source-arn <role ARN> --action-names "
        "cloudwatch:GetMetricData cloudwatch:ListMetrics tag:GetResources`.",
        "No error but no series: the resources lack the Service/Environment tags the "
        "exporter selects on, or it reads another region than monitoring/cloudwatch-exporter.yml.",
        "Until it is fixed, watch the component in the AWS console: its alerts cannot fire.",
    ]


_BY_PREFIX: tuple[tuple[str, Callable[[Target, DatabasePlan | None], list[str]]], ...] = (
    ("CloudWatch", _cloudwatch_reader),
    ("DatabaseStorage", _storage),
    ("DatabaseBackup", _backup_jobs),
    ("DatabaseConnections", _connections),
    ("DatabaseReplication", _lag),
    ("Database", _database_down),
    ("Cache", _cache),
    ("Endpoint", _endpoint),
    ("Certificate", _certificate),
    ("Host", _hosts),
    ("Vpn", _vpn),
    ("ObjectWrites", _objects),
    ("ServiceDown", lambda t, db: _kubernetes(t, db) if t.kubernetes else _targets(t, db)),
)


def procedure(alert: str, t: Target, db: DatabasePlan | None) -> list[str]:
    """The steps for ``alert``: its component's procedure (Kubernetes for the workload's)."""
    for prefix, steps in _BY_PREFIX:
        if alert.startswith(prefix):
            return steps(t, db)
    return _kubernetes(t, db) if t.kubernetes else _targets(t, db)


def restore(t: Target, db: DatabasePlan | None) -> list[str]:
    """The data store's restore procedure: to a new instance, verified, then repointed."""
    if t.sql_engine is not None:
        return [
            *point_in_time_restore(t, db),
            *connect(t, db),
            "Verify the restored instance: row counts of the critical tables, the latest "
            "transaction time against the RPO, application smoke tests.",
            "Point the application at the restored instance through configuration, then "
            "resume writes; keep the damaged instance until the incident review.",
        ]
    if t.cache:
        group = t.prefix[:40]
        return [
            f"List snapshots: `aws elasticache describe-snapshots --region {t.region} "
            f"--replication-group-id {group}`.",
            "Create a new replication group from the chosen snapshot "
            "(`aws elasticache create-replication-group ... --snapshot-name <snapshot>`) or, "
            "for a cache, start empty and let the application warm it from the database.",
        ]
    return []


REAPPLY = (
    "Re-apply the previous infrastructure code revision (`terraform plan`, review, "
    "`terraform apply`)."
)


def rollback(request: ChangeRequest, db: DatabasePlan | None) -> list[str]:
    """The runbook's infrastructure rollback: a data store's change goes back the DBA's way."""
    if request.type is not ChangeType.MODIFY or db is None or not db.rollback_plan:
        return [REAPPLY]
    return [
        *db.rollback_plan,
        "Keep the pre-change snapshot until the change is accepted: do not re-apply an earlier "
        "revision of this change's Terraform or destroy it (that would delete the snapshot).",
    ]
