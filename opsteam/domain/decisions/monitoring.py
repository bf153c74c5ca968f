"""The Site Reliability Engineer's monitoring decisions beyond the rules themselves: how each
alert is proven (``promtool test rules`` cases), where every metric it reads comes from
(scrape jobs and exporter settings) and what the responder does (the runbook procedure).

An alert nobody proved can stay silent through an outage; one with no scrape target always
does. Deciding the proof, the data and the procedure next to the rule keeps them in step.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AlertCase",
    "AlertReceiver",
    "AlertRoute",
    "ExporterDeployment",
    "ExporterSettings",
    "InputSeries",
    "ScrapeJob",
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class InputSeries(_Model):
    """One promtool input series: ``metric{labels}`` and its values (promtool notation)."""

    series: str
    values: str


class AlertCase(_Model):
    """A scenario of one alert: the series, when to look, and the alerts expected then.

    ``fires`` lists the label sets (beyond the rule's own labels) of the expected alerts;
    empty means the alert must stay silent (the healthy case).
    """

    name: str
    series: list[InputSeries]
    eval_time: str
    fires: list[dict[str, str]] = Field(default_factory=list)
    interval: str = "1m"


JobKind = Literal["dns-srv", "static", "file", "ec2", "probe"]


class ScrapeJob(_Model):
    """A Prometheus scrape job the bundle's alerts and dashboard read from.

    ``metrics`` are the families the job keeps (everything else is dropped at ingestion);
    ``labels`` are set on every target so the rules' matchers find the series.
    """

    name: str
    kind: JobKind
    exporter: str  # what serves the metrics, in words (for the runbook)
    metrics: list[str]
    labels: dict[str, str] = Field(default_factory=dict)
    targets: list[str] = Field(default_factory=list)  # static / probe targets, SRV names
    files: list[str] = Field(default_factory=list)  # file_sd target files
    ec2_filters: dict[str, list[str]] = Field(default_factory=dict)
    region: str = ""
    port: int = 0
    metrics_path: str = "/metrics"
    params: dict[str, list[str]] = Field(default_factory=dict)
    address: str = ""  # the exporter a probe-style job sends its targets to
    honor_labels: bool = False
    keep_namespace: str = ""  # keep only series of this Kubernetes namespace


class ExporterSettings(_Model):
    """Configuration of an exporter the alerts need (blackbox, cloudwatch, database)."""

    path: str  # in the bundle, e.g. monitoring/blackbox.yml
    kind: Literal["blackbox", "cloudwatch", "postgres", "mysql", "redis"]
    region: str = ""
    # cloudwatch: (namespace, metric, dimensions, statistic, tag selections, resource type)
    cloudwatch: list[tuple[str, str, list[str], str, dict[str, str], str]] = Field(
        default_factory=list
    )
    auth_module: str = ""
    # blackbox: the CA root the probe verifies the endpoint's certificate against (a private
    # CA's; empty: the system's public roots).
    ca_file: str = ""
    tls: str = ""  # the client TLS mode the database enforces (e.g. verify-full)
    login: str = ""  # the database login the exporter uses
    database: str = ""  # the database it connects to (a login has no database of its name)


class ExporterDeployment(_Model):
    """An exporter the scrape jobs send their targets to, deployed beside Prometheus.

    Settings that hold no secret ship as a ConfigMap built from the bundle's file; settings
    that need a credential (a database password) are mounted from a Secret the operator
    creates from the secrets manager, so the bundle never holds the credential and the pod
    does not start without it.
    """

    kind: Literal["blackbox", "cloudwatch", "postgres", "mysql", "redis"]
    name: str  # the Deployment and Service, in the monitoring namespace
    image: str  # a pinned release tag (its digest is pinned by the registry mirror)
    port: int
    args: list[str] = Field(default_factory=list)
    config_file: str = ""  # the bundle's settings file shipped as a ConfigMap (no secret)
    config_target: str = ""  # its file name inside the mount (the image's expected name)
    secret: str = ""  # the Secret with the credentials (created out of band)
    secret_file: str = ""  # the file the Secret holds, mounted beside the settings
    mount: str = ""  # where settings and credentials are mounted
    egress_port: int = 443  # what it reaches: the data store's port, or HTTPS (probes, AWS)
    # A ConfigMap with the private CA's root certificate (created by the operator; public,
    # not a secret), mounted at ``trust_mount`` so the probe can verify a private certificate.
    trust: str = ""
    trust_mount: str = ""
    # AWS access (IRSA): the role the bundle's Terraform creates, and the output with its ARN.
    iam_role: str = ""
    role_output: str = ""


class AlertReceiver(_Model):
    """Where a firing alert goes: a pager (PagerDuty) or the team's chat channel (Slack).

    The credential is read from ``secret_file`` in the Alertmanager pod, never written in the
    bundle.
    """

    name: str
    kind: Literal["page", "chat"]
    secret_file: str
    channel: str = ""  # chat only


class AlertRoute(_Model):
    """How one handbook level notifies: its receiver, how fast and how often it repeats.

    ``business_hours`` holds notifications to working hours (the handbook's "next business
    day"): the alert still fires, nobody is woken for it.
    """

    severity: Literal["P0", "P1", "P2", "P3"]
    receiver: str
    group_wait: str
    group_interval: str
    repeat_interval: str
    business_hours: bool = False
