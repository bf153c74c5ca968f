"""The automation engineer's decisions: infrastructure as code as typed models.

Everything a Terraform, Ansible or Kubernetes template prints is decided here (identifiers,
which group a rule belongs to, which subnets a NAT serves, replicas per overlay), so the
templates only fill values in and the graph state records exactly what was codified.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from opsteam.domain.decisions.compute import Architecture
from opsteam.domain.decisions.wiring import (
    ClusterSpec,
    StackOutput,
    StateBackend,
    TargetGroupSpec,
    TfImport,
    TfVariable,
)
from opsteam.domain.registry import RoleSlug

__all__ = [
    "AnsiblePlaybook",
    "ChangedRecord",
    "ContainerResources",
    "EgressRule",
    "HostInstance",
    "KubernetesApp",
    "KubernetesOverlay",
    "ModifyChange",
    "NatSpec",
    "PartnerRule",
    "Removal",
    "RouteTableSpec",
    "SecurityGroup",
    "SgRule",
    "SubnetSpec",
    "TerraformStack",
    "VpnSpec",
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BucketPlan(_Model):
    name: str
    purpose: str
    versioning: bool
    noncurrent_days: int = Field(ge=1)
    transition_days: int | None = None  # to cold storage
    expiration_days: int | None = None


class SgRule(_Model):
    ident: str
    direction: Literal["ingress", "egress"]
    protocol: str
    from_port: int
    to_port: int
    cidr: str | None = None
    peer: str | None = None  # identifier of the referenced security group
    description: str
    skip: str = ""  # a checkov skip with its reason, written next to the rule
    # The module variable holding the port (the application's port), else the literal ports.
    port_variable: str | None = None


# "cluster": the Kubernetes nodes' group (the cluster security group, not created here).
Attachment = Literal["database", "hosts", "lb", "external", "cluster"]


class SecurityGroup(_Model):
    ident: str
    name: str
    rules: list[SgRule] = Field(default_factory=list)
    attach: Attachment = "external"


class SubnetSpec(_Model):
    ident: str
    name: str
    tier: str
    zone: str
    cidr: str


class NatSpec(_Model):
    ident: str  # aws_nat_gateway / aws_eip identifier
    zone: str
    subnet: str  # identifier of the public subnet it lives in


class RouteTableSpec(_Model):
    ident: str
    name: str
    nat: str | None  # aws_nat_gateway identifier of the default route, if any
    subnets: list[str] = Field(default_factory=list)


class HostInstance(_Model):
    ident: str
    name: str
    purpose: str
    os: str
    instance_type: str
    count: int
    architecture: Architecture  # the server baseline's, decided with the instance type


class PartnerRule(_Model):
    """A network-plan rule whose CIDR lies inside the VPN partner's range."""

    group: str
    rule: SgRule


class VpnSpec(_Model):
    peer_cidr: str | None  # None: a required Terraform variable supplies it
    ike_versions: list[str]
    encryption: str
    integrity: str
    dh_group: int
    static_routes: bool
    propagate_to_private: bool
    rules: list[PartnerRule] = Field(default_factory=list)
    # The VPC exists already, so it may have its one virtual private gateway (another VPN,
    # Direct Connect): the module then reuses a gateway it is given instead of adding one.
    existing_vpc: bool = False

    @property
    def rule_idents(self) -> frozenset[str]:
        return frozenset(p.rule.ident for p in self.rules)


class TerraformStack(_Model):
    """A new stack as Terraform codifies it; field names are the templates' variables."""

    prefix: str
    tags: dict[str, str]
    region: str
    env: str
    prod: bool
    required_version: str
    backend: StateBackend
    vpc_cidr: str
    # How the stack refers to its VPC and to each tier's subnets (created or existing).
    vpc_ref: str
    subnet_refs: dict[str, str]
    existing_network: bool = False
    variables: list[TfVariable] = Field(default_factory=list)
    outputs: list[StackOutput] = Field(default_factory=list)
    # HCL expression of each security group's ID, by identifier (created or the cluster's).
    group_refs: dict[str, str] = Field(default_factory=dict)
    cluster: ClusterSpec | None = None
    target_group: TargetGroupSpec | None = None
    backup_copy_regions: list[str] = Field(default_factory=list)
    # Buckets (by purpose) with CloudWatch request metrics: the writes the SRE watches.
    request_metrics: list[str] = Field(default_factory=list)
    subnets: list[SubnetSpec]
    public_subnets: list[SubnetSpec]
    host_subnets: list[SubnetSpec]
    db_subnets: list[SubnetSpec]
    nats: list[NatSpec]
    private_tables: list[RouteTableSpec]
    groups: list[SecurityGroup]
    db_groups: list[SecurityGroup]
    lb_groups: list[SecurityGroup]
    lb_http: bool
    host_sgs: dict[str, list[str]]
    hosts_default_sg: bool
    hosts: list[HostInstance]
    ami: dict[str, tuple[str, str]]
    db_instances: list[int]
    replica_regions: list[str] = Field(default_factory=list)
    buckets: list[BucketPlan]
    dns_ids: list[str]
    dns_targets: list[str]
    vpn: VpnSpec | None
    vpn_rule_ids: list[str]
    bgp_asn: int
    fixes: list[str]
    existing_vars: bool
    kms_key: bool = True
    mode: Literal["create"] = "create"
    existing: bool = False


Scope = Literal["data", "edge", "vpn", "rules"]


class ChangedRecord(_Model):
    """A DNS record a Modify points at the load balancer, and the zone that holds it: the
    public zone the operator names, or the stack's private zone for an internal name."""

    ident: str
    name: str
    zone: Literal["dns_zone_id", "private_zone_id"]  # the reference naming that zone


class ModifyChange(_Model):
    """What the Terraform of one Modify request contains (changed resources only)."""

    scope: Scope
    region: str
    prefix: str
    tags: dict[str, str]
    env: str
    backend: StateBackend
    # The owning stack's state when opsteam built it (read through terraform_remote_state).
    owner: StateBackend | None = None
    # Existing infrastructure by name (HCL expression: remote-state output or variable).
    refs: dict[str, str] = Field(default_factory=dict)
    variables: list[TfVariable] = Field(default_factory=list)
    snapshot: str | None = None
    listeners: list[str] = Field(default_factory=list)
    # Existing objects the changed resources take over (imported, never created beside).
    imports: list[TfImport] = Field(default_factory=list)
    certificate: str | None = None
    records: list[ChangedRecord] = Field(default_factory=list)
    vpn: VpnSpec | None = None
    rules: list[tuple[str, SgRule]] = Field(default_factory=list)  # (group identifier, rule)
    existing_groups: list[tuple[str, str]] = Field(default_factory=list)  # (ident, name)
    vpc_variable: bool = False
    # What the change publishes (e.g. the existing database as Prometheus scrape targets).
    outputs: list[StackOutput] = Field(default_factory=list)

    @property
    def resources(self) -> int:
        cert = 1 if self.certificate else 0
        lists = len(self.listeners) + len(self.records)
        snapshot = 1 if self.snapshot else 0
        vpn = 1 + len(self.vpn.rules) if self.vpn else 0
        return snapshot + cert + lists + vpn + len(self.rules)


class Removal(_Model):
    address: str  # the Terraform address opsteam bundles give the resource
    what: str
    owner: RoleSlug  # the role whose decision lists it


class HostOpening(_Model):
    """One inbound port of the host firewall and the ranges allowed to reach it (the same
    sources as the security group's rule: a peer group is a range inside the VPC)."""

    port: int
    sources: list[str]


class AnsiblePlaybook(_Model):
    groups: list[str]
    tasks: list[str]
    packages: list[str]
    unwanted: list[str]
    manual: list[str]
    baseline: list[str]
    patch_window: str
    ssh_cidr: str
    inbound: list[HostOpening] = Field(default_factory=list)


class ContainerResources(_Model):
    cpu_request: str
    memory_request: str
    cpu_limit: str
    memory_limit: str


class EgressRule(_Model):
    port: int
    cidrs: list[str]
    why: str = ""


class KubernetesOverlay(_Model):
    env: str
    namespace: str
    env_labels: dict[str, str]
    replicas: int
    max_replicas: int


class KubernetesApp(_Model):
    """The workload as Kubernetes runs it. The HorizontalPodAutoscaler owns the replica
    count (``replicas`` is its minimum, the Deployment states none); the load balancer
    reaches the pods through ``node_port`` when it targets the nodes."""

    app: str
    namespace: str
    labels: dict[str, str]
    selector: dict[str, str]
    namespace_labels: dict[str, str] = Field(default_factory=dict)
    service_type: Literal["ClusterIP", "NodePort"] = "ClusterIP"
    node_port: int | None = None
    # Headless Service whose DNS SRV records list the pods Prometheus scrapes.
    metrics_service: str = ""
    # The namespace Prometheus runs in: the only in-cluster caller admitted (metrics).
    monitoring_namespace: str = "monitoring"
    # The environment whose network these CIDR rules belong to: its overlay is the only one.
    edge_env: str = ""
    image: str
    port: int
    health_path: str
    ingress_cidrs: list[str]
    egress: list[EgressRule]
    resources: ContainerResources
    replicas: int
    max_replicas: int
    overlays: list[KubernetesOverlay]
