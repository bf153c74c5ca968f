"""The Grafana dashboard for one service: panels use the alert rules' selectors."""

from __future__ import annotations

import hashlib
from typing import Any

from opsteam.agents.sre.alerts import (
    available_replicas,
    error_ratio,
    latency_quantile,
    pod_restarts,
)
from opsteam.agents.sre.checks import Target, service_selector
from opsteam.domain.models import Engine
from opsteam.domain.naming import namespace

Panel = tuple[str, str, str]  # title, PromQL expression, unit


def _panels(t: Target, latency_objective: float) -> list[Panel]:
    r = t.request
    sel = service_selector(r)
    panels: list[Panel] = []
    if t.web:
        panels += [
            ("Request rate", f"sum(rate(http_requests_total{sel}[5m]))", "reqps"),
            ("Error ratio (5xx)", error_ratio(r), "percentunit"),
            (f"Latency p{latency_objective:g}", latency_quantile(r, latency_objective / 100), "s"),
        ]
    if t.kubernetes:
        panels += [
            ("Available replicas", available_replicas(r), "short"),
            ("Pod restarts (1h)", pod_restarts(r), "short"),
        ]
    if t.sql_engine is not None:
        engine = t.sql_engine.value
        job = service_selector(r, job=t.job(engine))
        up, used = (
            ("mysql_up", "mysql_global_status_threads_connected")
            if t.sql_engine is Engine.MYSQL
            else ("pg_up", "pg_stat_activity_count")
        )
        panels += [
            ("Database instances up", f"sum by (role) ({up}{job})", "short"),
            ("Connections per instance", f"sum by (instance) ({used}{job})", "short"),
        ]
    if t.cache:
        job = service_selector(r, job=t.job("redis"))
        panels += [
            ("Cache memory used", f"max by (instance) (redis_memory_used_bytes{job})", "bytes"),
            ("Cache evictions", f"sum(rate(redis_evicted_keys_total{job}[10m]))", "ops"),
        ]
    if t.hosts:
        node = service_selector(r, job=t.job("node"), mode="idle")
        panels += [
            (
                "Host CPU busy",
                f"1 - avg by (instance) (rate(node_cpu_seconds_total{node}[5m]))",
                "percentunit",
            ),
            ("Hosts up", f"sum(up{service_selector(r, job=t.job('node'))})", "short"),
        ]
    if t.vpn:
        cw = service_selector(r, job=t.job("cloudwatch"))
        panels.append(("VPN tunnels up", f"sum(aws_vpn_tunnel_state_minimum{cw})", "short"))
    if t.buckets:
        cw = service_selector(r, job=t.job("cloudwatch"))
        panels.append(("Object writes (PUT)", f"sum(aws_s3_put_requests_sum{cw})", "short"))
    if t.endpoint:
        panels.append(
            (
                "Endpoint probe success",
                f"max(probe_success{service_selector(r, job=t.job('probe'))})",
                "short",
            )
        )
    if not panels:
        panels.append(("Targets up", f"sum(up{sel})", "short"))
    return panels


def dashboard_uid(t: Target, suffix: str = "") -> str:
    """The service dashboard's uid (``suffix`` names another dashboard of the same service)."""
    key = namespace(t.request) + suffix
    return "opsteam-" + hashlib.sha256(key.encode()).hexdigest()[:12]


def dashboard(
    t: Target, latency_objective: float, removal_watch: list[Panel] | None = None
) -> dict[str, Any]:
    """A Grafana dashboard model (schema 39) with a Prometheus datasource variable.

    With ``removal_watch`` panels it is the watch of a removal: its own uid and title, so it
    never overwrites the dashboard of the service being removed.
    """
    watch = removal_watch is not None
    uid = dashboard_uid(t, "/removal-watch" if watch else "")
    chosen = removal_watch if removal_watch is not None else _panels(t, latency_objective)
    panels = []
    for index, (title, expr, unit) in enumerate(chosen):
        panels.append(
            {
                "id": index + 1,
                "type": "timeseries",
                "title": title,
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "gridPos": {"h": 8, "w": 12, "x": (index % 2) * 12, "y": (index // 2) * 8},
                "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
                "targets": [{"expr": expr, "refId": "A", "legendFormat": title}],
            }
        )
    return {
        "uid": uid,
        "title": f"{t.request.service_name} ({t.request.environment.value})"
        + (" removal watch" if watch else ""),
        "tags": ["opsteam", t.request.service_name, t.request.environment.value],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "1m",
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Prometheus",
                    "type": "datasource",
                    "query": "prometheus",
                    "current": {},
                }
            ]
        },
        "annotations": {"list": []},
        "panels": panels,
    }
