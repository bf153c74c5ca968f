"""The exporters the scrape jobs read from, deployed by the bundle beside Prometheus.

An alert whose exporter nobody runs stays silent through the outage it was written for, so
every exporter a scrape job sends its targets to ships as a Deployment and a Service in the
``monitoring`` namespace, named per service (two services never overwrite each other's
settings). Credentials never enter the bundle: the database exporters mount a Secret the
operator creates from the secrets manager, and the pod does not start without it.
"""

from __future__ import annotations

from typing import Any

from opsteam.agents.sre.checks import Target
from opsteam.domain.decisions.monitoring import ExporterDeployment, ExporterSettings
from opsteam.domain.decisions.wiring import CloudWatchReader

NAMESPACE = "monitoring"
DOMAIN = f"{NAMESPACE}.svc.cluster.local"
# Pinned releases of the upstream exporters (the registry mirror pins their digests).
IMAGES = {
    "blackbox": "quay.io/prometheus/blackbox-exporter:v0.25.0",
    "cloudwatch": "quay.io/prometheus/cloudwatch-exporter:v0.16.0",
    "postgres": "quay.io/prometheuscommunity/postgres-exporter:v0.16.0",
    "mysql": "quay.io/prometheus/mysqld-exporter:v0.16.0",
    "redis": "quay.io/oliver006/redis_exporter:v1.67.0",
}
PORTS = {"blackbox": 9115, "cloudwatch": 9106, "postgres": 9187, "mysql": 9104, "redis": 9121}
_STORE_PORTS = {"postgres": 5432, "mysql": 3306, "redis": 6379}
# Where the blackbox exporter finds the private CA's root (an internal endpoint's issuer).
TRUST_MOUNT = "/etc/private-ca"
TRUST_FILE = "ca.pem"
# The scrape job kind that sends its targets to each exporter.
_JOB_KINDS = {
    "probe": "blackbox",
    "cloudwatch": "cloudwatch",
    "postgres": "postgres",
    "mysql": "mysql",
    "redis": "redis",
}


def exporter_name(t: Target, kind: str) -> str:
    """The Deployment and Service of one exporter kind for this service."""
    return f"{t.prefix}-{kind}-exporter"


def address(t: Target, job_kind: str) -> str:
    """Where a scrape job of ``job_kind`` reaches its exporter (host:port in the cluster)."""
    kind = _JOB_KINDS[job_kind]
    return f"{exporter_name(t, kind)}.{DOMAIN}:{PORTS[kind]}"


def deployments(
    t: Target,
    job_kinds: set[str],
    settings: list[ExporterSettings],
    reader: CloudWatchReader | None = None,
) -> list[ExporterDeployment]:
    """One deployment per exporter kind the scrape jobs use, in a stable order; the
    CloudWatch exporter runs as the role the automation engineer's Terraform creates."""
    files: dict[str, str] = {s.kind: s.path.rsplit("/", 1)[-1] for s in settings}
    kinds = [_JOB_KINDS[k] for k in _JOB_KINDS if k in job_kinds]
    found = [_deployment(t, kind, files.get(kind, "")) for kind in kinds]
    return [_with_role(d, reader) if d.kind == "cloudwatch" else d for d in found]


def _with_role(d: ExporterDeployment, reader: CloudWatchReader | None) -> ExporterDeployment:
    if reader is None or reader.service_account != d.name:
        return d  # no role in this bundle: the annotation is the operator's (see the file)
    return d.model_copy(update={"iam_role": reader.role_name, "role_output": reader.output})


def _deployment(t: Target, kind: str, settings_file: str) -> ExporterDeployment:
    name = exporter_name(t, kind)
    mount = f"/etc/{kind}-exporter"
    common: dict[str, Any] = {
        "kind": kind,
        "name": name,
        "image": IMAGES[kind],
        "port": PORTS[kind],
    }
    if kind == "blackbox":
        return ExporterDeployment(
            **common,
            args=[f"--config.file={mount}/{settings_file}"],
            config_file=settings_file,
            config_target=settings_file,
            mount=mount,
            trust=f"{name}-private-ca" if t.private_ca else "",
            trust_mount=TRUST_MOUNT if t.private_ca else "",
        )
    if kind == "cloudwatch":  # the image's entrypoint reads /config/config.yml on 9106
        return ExporterDeployment(
            **common, config_file=settings_file, config_target="config.yml", mount="/config"
        )
    secret_file = {
        # the bundle's auth modules with the password filled in, and the RDS CA bundle
        "postgres": settings_file,
        "mysql": ".my.cnf",  # a [client.<prefix>] section per instance
        "redis": "passwords.json",  # redis URI -> password, for multi-target /scrape
    }[kind]
    flag = {
        "postgres": "--config.file",
        "mysql": "--config.my-cnf",
        "redis": "--redis.password-file",
    }[kind]
    return ExporterDeployment(
        **common,
        egress_port=(t.sql_port if kind != "redis" else None) or _STORE_PORTS[kind],
        args=[f"{flag}={mount}/{secret_file}"],
        secret=f"{name}-credentials",
        secret_file=secret_file,
        mount=mount,
    )
