"""Prometheus selectors, alert rules and dashboard panels for one service.

Every expression selects the labels the Kubernetes manifests carry (``opsteam.domain.naming``):
``namespace``/``service`` scrape labels, the Deployment named after the service, and the
``app.kubernetes.io/*`` labels as kube-state-metrics exports them (``label_app_...``).
Alert rules and dashboard targets are built from the same functions, so they always agree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from opsteam.domain.decisions import AlertRule
from opsteam.domain.models import ChangeRequest, Engine
from opsteam.domain.naming import k8s_labels, metric_selector, namespace

# Handbook alert severities: response times.
RESPONSE = {"P0": "Immediate", "P1": "< 15 minutes", "P2": "< 1 hour", "P3": "Next business day"}
FOR = {"P0": "2m", "P1": "5m", "P2": "10m", "P3": "30m"}
HIGH_ERROR_RATIO = 0.05  # > 5% of requests fail: P1
ELEVATED_ERROR_RATIO = 0.01  # > 1%: P2
LATENCY_SECONDS = 0.5


@dataclass(frozen=True)
class Target:
    """What the service runs on, resolved from the design and the earlier decisions."""

    request: ChangeRequest
    kubernetes: bool
    web: bool
    sql_engine: Engine | None
    sql_port: int | None
    cache: bool
    hosts: bool
    endpoint: bool
    replicas: bool = False


def matchers(labels: Mapping[str, str]) -> str:
    def quote(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"')

    return "{" + ",".join(f'{k}="{quote(v)}"' for k, v in labels.items()) + "}"


def ksm_label(key: str) -> str:
    """kube-state-metrics name of a Kubernetes label, e.g. ``label_app_kubernetes_io_name``."""
    return "label_" + re.sub(r"[^a-zA-Z0-9_]", "_", key)


def service_selector(request: ChangeRequest, *raw: str, **extra: str) -> str:
    """The service's matchers plus equality ``extra`` and ``raw`` matchers (e.g. regex)."""
    return (
        matchers({**metric_selector(request), **extra})[:-1] + "".join(f",{m}" for m in raw) + "}"
    )


def deployment_selector(request: ChangeRequest) -> str:
    name = k8s_labels(request)["app.kubernetes.io/name"]
    return matchers({"namespace": namespace(request), "deployment": name})


def pod_label_selector(request: ChangeRequest) -> str:
    labels = k8s_labels(request)
    return matchers(
        {
            "namespace": namespace(request),
            ksm_label("app.kubernetes.io/name"): labels["app.kubernetes.io/name"],
        }
    )


def error_ratio(request: ChangeRequest) -> str:
    sel = service_selector(request)
    errors = service_selector(request, 'code=~"5.."')
    return f"sum(rate(http_requests_total{errors}[5m])) / sum(rate(http_requests_total{sel}[5m]))"


def latency_quantile(request: ChangeRequest, quantile: float) -> str:
    sel = service_selector(request)
    return (
        f"histogram_quantile({quantile:g}, sum by (le) "
        f"(rate(http_request_duration_seconds_bucket{sel}[5m])))"
    )


def available_replicas(request: ChangeRequest) -> str:
    return f"sum(kube_deployment_status_replicas_available{deployment_selector(request)})"


def pod_restarts(request: ChangeRequest) -> str:
    ns = matchers({"namespace": namespace(request)})
    return (
        f"sum by (pod) (increase(kube_pod_container_status_restarts_total{ns}[1h]) "
        f"* on (namespace, pod) group_left() kube_pod_labels{pod_label_selector(request)})"
    )


def _rule(name: str, expr: str, severity: str, summary: str) -> AlertRule:
    return AlertRule.model_validate(
        {"name": name, "expr": expr, "for": FOR[severity], "severity": severity, "summary": summary}
    )


def _kubernetes_rules(t: Target, latency_objective: float) -> list[AlertRule]:
    r = t.request
    svc = r.service_name
    dep = deployment_selector(r)
    rules = [
        _rule(
            "ServiceDown",
            f"{available_replicas(r)} < 1 or "
            f"absent(kube_deployment_status_replicas_available{dep})",
            "P0",
            f"{svc} has no available replicas in {namespace(r)}",
        )
    ]
    if t.web:
        ratio = error_ratio(r)
        rules += [
            _rule(
                "HighErrorRate",
                f"({ratio}) > {HIGH_ERROR_RATIO:g}",
                "P1",
                f"{svc} error rate above 5% (partial outage)",
            ),
            _rule(
                "ElevatedErrorRate",
                f"({ratio}) > {ELEVATED_ERROR_RATIO:g} and ({ratio}) <= {HIGH_ERROR_RATIO:g}",
                "P2",
                f"{svc} error rate above 1% (degraded)",
            ),
            _rule(
                "HighLatency",
                f"{latency_quantile(r, latency_objective / 100)} > {LATENCY_SECONDS:g}",
                "P2",
                f"{svc} p{latency_objective:g} latency above {LATENCY_SECONDS * 1000:g} ms",
            ),
        ]
    rules += [
        _rule(
            "ReplicasUnavailable",
            f"kube_deployment_status_replicas_available{dep} < kube_deployment_spec_replicas{dep}",
            "P2",
            f"{svc} runs with fewer replicas than desired",
        ),
        _rule(
            "PodRestarting",
            f"{pod_restarts(r)} > 3",
            "P3",
            f"{svc} pods restarted more than 3 times in 1 hour",
        ),
    ]
    return rules


def _database_rules(t: Target, primary: bool) -> list[AlertRule]:
    r, engine = t.request, t.sql_engine
    sel = service_selector(r)
    down = "P0" if primary else "P1"
    where = f"{engine.value if engine else 'database'} on port {t.sql_port}"
    if engine is Engine.MYSQL:
        up, used, limit = (
            "mysql_up",
            "mysql_global_status_threads_connected",
            "mysql_global_variables_max_connections",
        )
        lag = f"max(mysql_slave_status_seconds_behind_master{sel}) > 30"
    else:
        up, used, limit = "pg_up", "pg_stat_activity_count", "pg_settings_max_connections"
        lag = f"max(pg_replication_lag_seconds{sel}) > 30"
    rules = [
        _rule(
            "DatabaseDown",
            f"max({up}{sel}) < 1 or absent({up}{sel})",
            down,
            f"Database connectivity lost: {where} unreachable",
        ),
        _rule(
            "DatabaseConnectionsHigh",
            f"sum({used}{sel}) / max({limit}{sel}) > 0.8",
            "P2",
            f"Database connections above 80% of the limit ({where})",
        ),
    ]
    if t.replicas:
        rules.append(
            _rule("DatabaseReplicationLag", lag, "P2", "Database replica lags more than 30 seconds")
        )
    return rules


def _cache_rules(t: Target, primary: bool) -> list[AlertRule]:
    sel = service_selector(t.request)
    return [
        _rule(
            "CacheDown",
            f"max(redis_up{sel}) < 1 or absent(redis_up{sel})",
            "P0" if primary else "P1",
            "Redis cache unreachable on port 6379",
        ),
        _rule(
            "CacheMemoryHigh",
            f"max(redis_memory_used_bytes{sel} / redis_memory_max_bytes{sel}) > 0.9 "
            f"and max(redis_memory_max_bytes{sel}) > 0",
            "P2",
            "Redis memory above 90% of maxmemory",
        ),
        _rule(
            "CacheEvictions",
            f"sum(rate(redis_evicted_keys_total{sel}[10m])) > 0",
            "P3",
            "Redis is evicting keys",
        ),
    ]


def _host_rules(t: Target) -> list[AlertRule]:
    sel = service_selector(t.request, job="node")
    fs = service_selector(t.request, 'fstype!~"tmpfs|overlay"', job="node")
    idle = service_selector(t.request, job="node", mode="idle")
    return [
        _rule("HostDown", f"up{sel} == 0", "P1", "A server stopped reporting metrics"),
        _rule(
            "HostDiskSpaceLow",
            f"node_filesystem_avail_bytes{fs} / node_filesystem_size_bytes{fs} < 0.1",
            "P2",
            "Less than 10% disk space left on a server",
        ),
        _rule(
            "HostMemoryLow",
            f"node_memory_MemAvailable_bytes{sel} / node_memory_MemTotal_bytes{sel} < 0.1",
            "P3",
            "Less than 10% memory available on a server",
        ),
        _rule(
            "HostHighCpu",
            f"1 - avg by (instance) (rate(node_cpu_seconds_total{idle}[5m])) > 0.9",
            "P3",
            "Server CPU above 90% for 30 minutes",
        ),
    ]


def _endpoint_rules(t: Target, primary: bool) -> list[AlertRule]:
    sel = service_selector(t.request, job="blackbox")
    rules = []
    if primary:
        rules.append(
            _rule(
                "EndpointDown",
                f"max(probe_success{sel}) < 1",
                "P0",
                f"{t.request.service_name} endpoint probe failing",
            )
        )
    rules.append(
        _rule(
            "CertificateExpiringSoon",
            f"min(probe_ssl_earliest_cert_expiry{sel}) - time() < 14 * 86400",
            "P3",
            "TLS certificate expires within 14 days",
        )
    )
    return rules


def alert_rules(t: Target, latency_objective: float) -> list[AlertRule]:
    """All rules for the target, most severe first within each component."""
    app_tier = t.kubernetes or t.hosts
    rules: list[AlertRule] = []
    if t.kubernetes:
        rules += _kubernetes_rules(t, latency_objective)
    if t.sql_engine is not None:
        rules += _database_rules(t, primary=not app_tier)
    if t.cache:
        rules += _cache_rules(t, primary=not app_tier and t.sql_engine is None)
    if t.hosts:
        rules += _host_rules(t)
    if t.endpoint:
        rules += _endpoint_rules(t, primary=not rules)
    if not rules:
        rules.append(
            _rule(
                "ServiceDown",
                f"max(up{service_selector(t.request)}) < 1",
                "P0",
                f"{t.request.service_name} targets are not reporting",
            )
        )
    return rules
