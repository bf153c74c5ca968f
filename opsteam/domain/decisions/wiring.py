"""How the parts of a bundle connect, as decided facts: where each root module keeps its
state, what it reads from the stack that owns the infrastructure, and how the load balancer
reaches the workload (listener -> target group -> nodes -> Service -> pod).

A bundle whose parts do not meet is worse than none: these models are what the consistency
tests read back from every file, so a port, protocol or state key can only be said once.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CloudWatchReader",
    "ClusterApiAccess",
    "ClusterSpec",
    "MonitoringStack",
    "StackOutput",
    "StateBackend",
    "TargetGroupSpec",
    "TfImport",
    "TfVariable",
    "VariableCheck",
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StateBackend(_Model):
    """The S3 backend of one root module (lockfile locking needs Terraform >= 1.10).

    ``bootstrap``: the bundle carries ``terraform/bootstrap`` to create the bucket first.
    """

    bucket: str
    key: str
    region: str
    bootstrap: bool = False


class VariableCheck(_Model):
    condition: str  # HCL expression
    message: str


class TfVariable(_Model):
    """An input of a root module: decided here, declared once in ``variables.tf`` and, when
    it has no default, listed in ``terraform.tfvars.example`` with an example value."""

    name: str
    type: str = "string"
    description: str
    example: str  # an HCL value for terraform.tfvars.example
    default: str | None = None  # an HCL value; None: the operator must supply it
    sensitive: bool = False
    checks: list[VariableCheck] = Field(default_factory=list)


class TfImport(_Model):
    """An existing object a Modify's resource takes over (Terraform >= 1.7 ``import`` block):
    ``terraform plan`` shows it imported, then updated in place, instead of created beside it.

    Its ID comes from ``variable``, a required input that may be set to null when the object
    does not exist yet (then the resource is created).
    """

    to: str  # the resource address that takes it over
    variable: str
    what: str  # the existing object, in words


class StackOutput(_Model):
    """What a stack exports so later changes can reference it through its state."""

    name: str
    value: str  # HCL expression
    description: str


class TargetGroupSpec(_Model):
    """Where the load balancer sends requests, and how it checks them.

    For a Kubernetes workload the targets are the cluster's nodes on the Service's NodePort
    (plain HTTP; TLS ends at the load balancer), registered through the node group's
    autoscaling groups, so no controller has to register pods.
    """

    protocol: Literal["HTTP", "HTTPS"]
    port: int = Field(ge=1, le=65535)
    target_type: Literal["instance", "ip"]
    health_path: str
    health_protocol: Literal["HTTP", "HTTPS"]
    backend_port: int = Field(ge=1, le=65535)  # where the workload itself listens
    node_port: int | None = Field(default=None, ge=30000, le=32767)
    # The module variable holding ``port`` when it is the application's own port.
    port_variable: str | None = None


class ClusterApiAccess(_Model):
    """How operators (and Terraform's Helm provider) reach a created cluster's API.

    The private endpoint serves the nodes and anything inside the VPC; the public endpoint
    answers only ``cidrs_variable``'s ranges (validated: never the whole internet), and only
    principals with an access entry get in (``authentication_mode = "API"``).
    """

    private_endpoint: bool = True
    public_endpoint: bool
    cidrs_variable: str  # the list(string) input with the admin ranges


class MonitoringStack(_Model):
    """The Prometheus and Alertmanager a created cluster gets (kube-prometheus-stack, a Helm
    release of the stack's Terraform), so the SRE's rules are evaluated and its routes page.

    The release loads the SRE's files as they are: ``rules_file`` as a PrometheusRule (labelled
    ``release: <release>``, which the stack's Prometheus selects), ``alertmanager_file`` as
    Alertmanager's configuration and ``scrape_file``'s jobs as additional scrape configs. The
    receivers' credentials are the keys of Secret ``secret`` (created out of band in
    ``namespace``), mounted at ``secrets_dir`` where the Alertmanager configuration reads them.
    """

    chart: str
    repository: str
    version: str
    release: str
    namespace: str
    rules_file: str  # bundle paths, read by Terraform relative to terraform/
    alertmanager_file: str
    scrape_file: str
    secret: str
    secrets_dir: str


class ClusterSpec(_Model):
    """The Kubernetes cluster the workload runs on: created (and priced) or referenced."""

    name: str
    created: bool
    version: str
    node_instance_type: str
    min_nodes: int = Field(ge=0)
    desired_nodes: int = Field(ge=0)
    max_nodes: int = Field(ge=1)
    security_group: str  # HCL expression of the security group every node wears
    # HCL: the node group's one autoscaling group (created), or a list variable (existing).
    autoscaling_groups: str
    # EKS add-ons the stack manages on a cluster it creates (an existing cluster's are its
    # prerequisites): "vpc-cni" (NetworkPolicy enforcement on), "kube-state-metrics",
    # "metrics-server" (what the HorizontalPodAutoscaler reads).
    addons: list[str] = Field(default_factory=list)
    # A created cluster only: how operators reach its API, and the monitoring it installs
    # (an existing cluster's Prometheus and access are its prerequisites).
    api_access: ClusterApiAccess | None = None
    monitoring: MonitoringStack | None = None


class CloudWatchReader(_Model):
    """The read-only IAM role the CloudWatch exporter runs as (IRSA): the Terraform creates
    it, trusting the monitoring cluster's OIDC provider for exactly one ServiceAccount, and
    outputs its ARN; the exporter's ServiceAccount carries that ARN as its role annotation."""

    role_name: str
    namespace: str
    service_account: str
    oidc_variable: str  # the input with the monitoring cluster's OIDC provider ARN
    output: str  # the Terraform output with the role's ARN
    actions: list[str]
