"""What the Site Reliability Engineer watches and how each alert is proven.

:class:`Target` is the service as the SRE watches it (resolved once from the design and the
other roles' decisions). A :class:`Check` is one alert before the environment's ceiling and
the rendered labels are applied: its expression, its handbook level and the promtool
scenarios that prove it fires when the condition holds and stays silent when healthy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from opsteam.domain.decisions.monitoring import AlertCase, InputSeries
from opsteam.domain.models import ChangeRequest, Engine
from opsteam.domain.naming import k8s_labels, metric_selector, namespace, resource_prefix
from opsteam.domain.severity import HandbookLevel

# Handbook "for" durations per level: the longer the response time, the longer the wait.
FOR: dict[str, str] = {"P0": "2m", "P1": "5m", "P2": "10m", "P3": "30m"}


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
    replica_count: int = 0
    vpn: bool = False
    buckets: tuple[str, ...] = ()  # purposes of the object-storage buckets watched
    probe_url: str = ""  # the endpoint the blackbox exporter probes
    private_ca: bool = False  # the listener's certificate comes from the private CA
    region: str = "us-east-1"
    writes_every_minutes: int = 1440  # how often the buckets are expected to be written
    storage_gb: int = 0  # the SQL database's allocated storage (GiB); 0: not known
    backup_vault: str = ""  # the AWS Backup vault this bundle creates for the database

    @property
    def prefix(self) -> str:
        return resource_prefix(self.request)

    def job(self, kind: str) -> str:
        """The scrape job of one kind of exporter for this service."""
        return f"{self.prefix}-{kind}"


@dataclass(frozen=True)
class Check:
    """One alert as decided, before the environment's ceiling and labels are applied."""

    name: str
    expr: str
    level: HandbookLevel
    summary: str
    cases: tuple[AlertCase, ...] = field(default_factory=tuple)
    for_: str = ""  # default: the level's handbook duration


def matchers(labels: Mapping[str, str]) -> str:
    def quote(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"')

    return "{" + ",".join(f'{k}="{quote(v)}"' for k, v in labels.items()) + "}"


def service_labels(request: ChangeRequest, **extra: str) -> dict[str, str]:
    return {**metric_selector(request), **extra}


def service_selector(request: ChangeRequest, *raw: str, **extra: str) -> str:
    """The service's matchers plus equality ``extra`` and ``raw`` matchers (e.g. regex)."""
    return (
        matchers({**metric_selector(request), **extra})[:-1] + "".join(f",{m}" for m in raw) + "}"
    )


def ksm_label(key: str) -> str:
    """kube-state-metrics name of a Kubernetes label, e.g. ``label_app_kubernetes_io_name``."""
    return "label_" + re.sub(r"[^a-zA-Z0-9_]", "_", key)


def deployment_labels(request: ChangeRequest) -> dict[str, str]:
    name = k8s_labels(request)["app.kubernetes.io/name"]
    return {"namespace": namespace(request), "deployment": name}


def series(metric: str, labels: Mapping[str, str], values: str) -> InputSeries:
    return InputSeries(series=metric + matchers(labels), values=values)


def case(
    name: str,
    eval_time: str,
    inputs: list[InputSeries],
    fires: list[dict[str, str]] | None = None,
    interval: str = "1m",
) -> AlertCase:
    return AlertCase(
        name=name, series=inputs, eval_time=eval_time, fires=fires or [], interval=interval
    )


_METRIC = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{")
_NOT_METRICS = frozenset({"by", "on", "without", "ignoring", "group_left", "group_right"})


def metrics_in(expr: str) -> list[str]:
    """Metric names an expression selects (every selector here carries ``{...}``)."""
    return list(dict.fromkeys(m for m in _METRIC.findall(expr) if m not in _NOT_METRICS))
