"""Where every metric the alerts and the dashboard read comes from: scrape jobs and the
settings of the exporters they need.

Each metric family maps to exactly one kind of exporter; a job keeps only the families the
bundle reads (dropping the rest at ingestion) and labels every target with the service's
``namespace`` and ``service`` so the rules' matchers find the series. Prometheus is taken to
run in the cluster's ``monitoring`` namespace (the NetworkPolicies admit it), with the
blackbox, database and CloudWatch exporters the bundle deploys beside it (``exporters``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from opsteam.agents.sre import exporters
from opsteam.agents.sre.checks import Target, metrics_in, service_labels
from opsteam.domain import naming
from opsteam.domain.decisions.monitoring import ExporterSettings, ScrapeJob
from opsteam.domain.models import Engine
from opsteam.domain.naming import namespace

KUBE_STATE_METRICS = "kube-state-metrics.kube-system.svc.cluster.local:8080"
# Which exporter serves a metric family, by name prefix (first match wins).
FAMILIES: tuple[tuple[str, str], ...] = (
    ("http_", "app"),
    ("kube_", "kube-state-metrics"),
    ("probe_", "probe"),
    ("pg_", "postgres"),
    ("mysql_", "mysql"),
    ("redis_", "redis"),
    ("node_", "node"),
    ("aws_", "cloudwatch"),
)
SYNTHETIC = frozenset({"up"})  # Prometheus writes it for every target of every job


def job_kind(metric: str) -> str:
    """The exporter kind of a metric family; a family nothing here exports is a bug."""
    for prefix, kind in FAMILIES:
        if metric.startswith(prefix):
            return kind
    raise ValueError(f"no scrape job exports {metric}")


def families(exprs: Iterable[str]) -> dict[str, list[str]]:
    """Metric families the expressions read, grouped by exporter kind (``up`` excluded)."""
    found: dict[str, list[str]] = {}
    for expr in exprs:
        for metric in metrics_in(expr):
            if metric not in SYNTHETIC:
                found.setdefault(job_kind(metric), [])
                if metric not in found[job_kind(metric)]:
                    found[job_kind(metric)].append(metric)
    return found


def _job(t: Target, kind: str, metrics: list[str]) -> ScrapeJob:
    r = t.request
    labels = service_labels(r)
    common = {"name": t.job(kind), "metrics": sorted(metrics), "labels": labels}
    if kind == "app":
        srv = f"_http._tcp.{r.service_name}-metrics.{namespace(r)}.svc.cluster.local"
        return ScrapeJob(**common, kind="dns-srv", targets=[srv], exporter="the service's pods")
    if kind == "kube-state-metrics":
        return ScrapeJob(
            **{**common, "labels": {}},
            kind="static",
            targets=[KUBE_STATE_METRICS],
            exporter="kube-state-metrics (kube-system)",
            honor_labels=True,
            keep_namespace=namespace(r),
        )
    if kind == "probe":
        return ScrapeJob(
            **common, kind="probe", targets=[t.probe_url], address=exporters.address(t, kind),
            metrics_path="/probe", params={"module": ["http_2xx"]},
            exporter="blackbox exporter (monitoring/blackbox.yml)",
        )  # fmt: skip
    if kind in ("postgres", "mysql", "redis"):
        return _datastore(t, kind, common)
    if kind == "node":
        return ScrapeJob(
            **common, kind="ec2", region=t.region, port=9100,
            # Stopped hosts are not scraped: they would page HostDown for a planned stop.
            ec2_filters={"tag:Service": [r.service_name],
                         "tag:Environment": [r.environment.value],
                         "instance-state-name": ["running"]},
            exporter="node_exporter on every host (ansible/site.yml installs it)",
        )  # fmt: skip
    return ScrapeJob(
        **common, kind="static", targets=[exporters.address(t, "cloudwatch")], honor_labels=True,
        exporter="CloudWatch exporter (monitoring/cloudwatch-exporter.yml)",
    )  # fmt: skip


def _datastore(t: Target, kind: str, common: Mapping[str, object]) -> ScrapeJob:
    """Instances listed in a target file written from the stack's output; each is probed
    through the exporter (multi-target), labelled with its role (primary / replica)."""
    path = {"postgres": "/probe", "mysql": "/probe", "redis": "/scrape"}[kind]
    params = {"auth_module": [t.prefix]} if kind == "postgres" else {}
    if kind == "mysql":  # a [client.<prefix>] section of the exporter's my.cnf (TLS verified)
        params = {"auth_module": [f"client.{t.prefix}"]}
    return ScrapeJob.model_validate(
        {
            **common,
            "kind": "file",
            "files": [f"targets/{t.prefix}-{kind}.json"],
            "address": exporters.address(t, kind),
            "metrics_path": path,
            "params": params,
            "exporter": f"{kind} exporter, one target per instance (terraform output "
            f"prometheus_{kind}_targets)",
        }
    )


def scrape_jobs(t: Target, exprs: Iterable[str]) -> list[ScrapeJob]:
    """One job per exporter kind the expressions need (the fallback's ``up`` gets its own)."""
    exprs = list(exprs)
    grouped = families(exprs)
    order = [kind for _, kind in FAMILIES]
    jobs = [_job(t, kind, grouped[kind]) for kind in order if kind in grouped]
    if not jobs and any("up" in metrics_in(e) for e in exprs):
        jobs.append(_targets(t))
    return jobs


def _targets(t: Target) -> ScrapeJob:
    """Only ``up`` is read (the service's own targets): a target file lists them."""
    return ScrapeJob(
        name=t.job("targets"),
        kind="file",
        files=[f"targets/{t.prefix}.json"],
        metrics=["up"],
        labels=service_labels(t.request),
        exporter="the service's own targets (listed in the target file)",
    )


def job_kinds(t: Target, jobs: list[ScrapeJob]) -> set[str]:
    """The kind of exporter each job reads (its name is ``<prefix>-<kind>``)."""
    return {job.name.removeprefix(f"{t.prefix}-") for job in jobs}


def exporter_settings(t: Target, jobs: list[ScrapeJob]) -> list[ExporterSettings]:
    """Settings of the exporters the jobs send their targets to."""
    kinds = job_kinds(t, jobs)
    found: list[ExporterSettings] = []
    if "probe" in kinds:
        trust = f"{exporters.TRUST_MOUNT}/{exporters.TRUST_FILE}" if t.private_ca else ""
        found.append(
            ExporterSettings(path="monitoring/blackbox.yml", kind="blackbox", ca_file=trust)
        )
    if "cloudwatch" in kinds:
        found.append(
            ExporterSettings(
                path="monitoring/cloudwatch-exporter.yml",
                kind="cloudwatch",
                region=t.region,
                cloudwatch=_cloudwatch(t),
            )
        )
    if Engine.POSTGRES.value in kinds:
        found.append(
            ExporterSettings(
                path="monitoring/postgres-exporter.yml",
                kind="postgres",
                auth_module=t.prefix,
                tls="verify-full",
                login=naming.MONITORING_LOGIN,
                database="postgres",
            )
        )
    return found


def _cloudwatch(t: Target) -> list[tuple[str, str, list[str], str, dict[str, str], str]]:
    tags = {"Service": t.request.service_name, "Environment": t.request.environment.value}
    found: list[tuple[str, str, list[str], str, dict[str, str], str]] = []
    if t.vpn:
        dims = ["VpnId", "TunnelIpAddress"]
        found.append(("AWS/VPN", "TunnelState", dims, "Minimum", tags, "ec2:vpn-connection"))
    if t.buckets:
        found.append(("AWS/S3", "PutRequests", ["BucketName", "FilterId"], "Sum", tags, "s3"))
    if t.sql_engine is not None and t.storage_gb:
        dims = ["DBInstanceIdentifier"]
        found.append(("AWS/RDS", "FreeStorageSpace", dims, "Minimum", tags, "rds:db"))
    if t.backup_vault:
        for metric in ("NumberOfBackupJobsFailed", "NumberOfCopyJobsFailed"):
            vault = ["BackupVaultName"]
            found.append(("AWS/Backup", metric, vault, "Sum", tags, "backup:backup-vault"))
    return found
