"""Decisions of the architect and the specialists (design, servers, network, data, SRE)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from opsteam.domain.decisions.compute import Architecture, cpu_architecture
from opsteam.domain.decisions.iac import (
    AnsiblePlaybook,
    BucketPlan,
    KubernetesApp,
    ModifyChange,
    Removal,
    TerraformStack,
)
from opsteam.domain.decisions.monitoring import (
    AlertCase,
    AlertReceiver,
    AlertRoute,
    ExporterDeployment,
    ExporterSettings,
    ScrapeJob,
)
from opsteam.domain.decisions.roles import RoleEngagement
from opsteam.domain.decisions.wiring import CloudWatchReader, StateBackend
from opsteam.domain.models import CheckpointNeed, Engine, GateCheck, Size
from opsteam.domain.registry import RoleSlug
from opsteam.domain.request_routing import DesignComponent

__all__ = [
    "ISSUER_FOR_SCHEME",
    "AlertRule",
    "AppliedChange",
    "ArchitectDesign",
    "Assignment",
    "AutomationPlan",
    "BackupRule",
    "BucketPlan",
    "CertificateIssuer",
    "DataPlan",
    "DatabasePlan",
    "DesignComponent",
    "DesignDelta",
    "DnsRecord",
    "EscalationRow",
    "FirewallRule",
    "HostSpec",
    "LoadBalancer",
    "NetworkPlan",
    "ReliabilityPlan",
    "RemovalWatch",
    "RiskAssessment",
    "ServerBaseline",
    "Slo",
    "StoragePlan",
    "Subnet",
    "TlsPolicy",
    "WatchTarget",
]


class _Decision(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DesignDelta(_Decision):
    """A person's requested change, typed: what to set, add or remove in the design.

    Parsed from free text by intake; the architect applies it. ``evidence`` maps each field
    to the words that asked for it; ``not_understood`` keeps what no rule recognised.
    """

    region: str | None = None
    replica_regions: list[str] = Field(default_factory=list)
    replica_in_other_region: int = Field(default=0, ge=0)
    backup_copy_regions: list[str] = Field(default_factory=list)
    backup_copy_other_region: bool = False
    read_replicas: int | None = Field(default=None, ge=0)
    more_read_replicas: int = Field(default=0, ge=0)
    engine: Engine | None = None
    engine_version: str | None = None
    size: Size | None = None
    multi_az: bool | None = None
    rpo_minutes: int | None = None
    rto_minutes: int | None = None
    add_ports: list[int] = Field(default_factory=list)
    remove_ports: list[int] = Field(default_factory=list)
    existing_cidrs: list[str] = Field(default_factory=list)
    add_components: list[DesignComponent] = Field(default_factory=list)
    remove_components: list[DesignComponent] = Field(default_factory=list)
    evidence: dict[str, str] = Field(default_factory=dict)
    not_understood: list[str] = Field(default_factory=list)


class AppliedChange(_Decision):
    """One field of the design a person's requested change revised, with its evidence."""

    field: str
    value: str
    evidence: str


class Assignment(_Decision):
    # The role's public slug: state that an Agent Server shows as-is carries no internal ID.
    role: RoleSlug
    reason: str
    tasks: list[str]
    # The facts of the request that made this specialist necessary.
    facts: list[str] = Field(default_factory=list)


class RiskAssessment(_Decision):
    level: Literal["low", "medium", "high"]
    score: int = Field(ge=0, le=100)
    factors: list[str]


class ArchitectDesign(_Decision):
    summary: str
    components: list[DesignComponent]
    assignments: list[Assignment]
    checkpoints: list[CheckpointNeed]
    risk: RiskAssessment
    rollback_plan: list[str]
    maintenance_window: str  # "2026-12-01T02:00Z - 2026-12-01T04:00Z" or "not required (dev)"
    cloud: str
    region: str
    zones: list[str]
    # Engine chosen by the architect so parallel roles (network, DBA) agree on ports.
    engine: Engine | None = None
    hosts_needed: bool = False
    public_endpoint: bool = False
    # The request names an existing (shared) network: use it, never create a VPC.
    existing_network: bool = False
    revision: int = 1
    feedback_applied: list[str] = Field(default_factory=list)
    # Requested changes the architect applied (typed), and those it could not apply.
    changes: list[AppliedChange] = Field(default_factory=list)
    not_applied: list[str] = Field(default_factory=list)
    # Roles added to the roster as data that work on this request (their triggers matched).
    engaged: list[RoleEngagement] = Field(default_factory=list)


class HostSpec(_Decision):
    name: str
    purpose: str
    os: str
    instance_type: str
    count: int = Field(ge=0)
    # Decided with the instance type: the image the host boots must be built for it.
    architecture: Architecture

    @model_validator(mode="before")
    @classmethod
    def _stored_before_the_architecture(cls, data: Any) -> Any:
        """A baseline checkpointed before the architecture was a field: its type's."""
        if isinstance(data, dict) and "architecture" not in data and "instance_type" in data:
            return {**data, "architecture": cpu_architecture(str(data["instance_type"]))}
        return data

    @model_validator(mode="after")
    def _architecture_suits_the_type(self) -> HostSpec:
        if self.architecture != cpu_architecture(self.instance_type):
            raise ValueError(f"{self.instance_type} does not run {self.architecture} images")
        return self


class ServerBaseline(_Decision):
    hosts: list[HostSpec]
    hardening: list[str]
    ssh_policy: list[str]
    patch_window: str
    config_management: str
    decommission_steps: list[str] = Field(default_factory=list)
    # Remove requests: the existing hosts being retired (never counted as new hosts).
    decommissioned: list[str] = Field(default_factory=list)


class Subnet(_Decision):
    name: str
    tier: Literal["public", "private", "data"]
    zone: str
    cidr: str


class FirewallRule(_Decision):
    name: str
    direction: Literal["ingress", "egress"]
    protocol: Literal["tcp", "udp", "icmp"]
    port: int
    source: str  # a CIDR or a security-group name
    destination: str
    description: str
    # The rule admits the application's own port (NetworkPlan.app_port): Terraform writes
    # it as ``var.app_port`` so the port changes in one place.
    app_port: bool = False


class DnsRecord(_Decision):
    name: str
    type: Literal["A", "AAAA", "CNAME", "ALIAS", "TXT"]
    value: str
    ttl: int = Field(ge=30)


# Who issues the listener's certificate: public ACM (DNS-validated in a public zone) for an
# internet-facing load balancer; ACM Private CA for an internal one, whose private name no
# public CA can issue for and no public zone can validate.
CertificateIssuer = Literal["public-acm", "private-ca"]
ISSUER_FOR_SCHEME: dict[str, CertificateIssuer] = {
    "internet-facing": "public-acm",
    "internal": "private-ca",
}


# The listener TLS policies the network engineer chooses from, and the TLS versions each
# accepts (newest first): the plans state what the chosen one accepts, never a fixed text.
TlsPolicy = Literal["ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS13-1-3-2021-06"]
TLS_VERSIONS: dict[str, tuple[str, ...]] = {
    "ELBSecurityPolicy-TLS13-1-2-2021-06": ("1.3", "1.2"),
    "ELBSecurityPolicy-TLS13-1-3-2021-06": ("1.3",),
}


class LoadBalancer(_Decision):
    """TLS ends here; targets get plain HTTP on ``target_port``: the workload's own port on
    hosts, or the Service's NodePort on the Kubernetes nodes (which forward to ``app_port``).
    ``certificate_issuer`` is decided by the network engineer and must suit the scheme."""

    name: str
    scheme: Literal["internet-facing", "internal"]
    listener_port: int
    target_port: int
    tls_policy: TlsPolicy
    certificate: str
    health_check_path: str
    app_port: int = 0  # where the workload listens (0: same as target_port)
    target_protocol: Literal["HTTP", "HTTPS"] = "HTTP"
    node_port: int | None = None  # set when the targets are Kubernetes nodes
    certificate_issuer: CertificateIssuer

    @model_validator(mode="before")
    @classmethod
    def _stored_before_the_issuer(cls, data: Any) -> Any:
        """A plan checkpointed before the issuer was a field: the issuer its scheme takes."""
        if isinstance(data, dict) and "certificate_issuer" not in data and "scheme" in data:
            return {**data, "certificate_issuer": ISSUER_FOR_SCHEME.get(data["scheme"])}
        return data

    @model_validator(mode="after")
    def _issuer_suits_the_scheme(self) -> LoadBalancer:
        wanted = ISSUER_FOR_SCHEME[self.scheme]
        if self.certificate_issuer != wanted:
            raise ValueError(
                f"an {self.scheme} load balancer's certificate comes from {wanted}, "
                f"not {self.certificate_issuer}"
            )
        return self

    @property
    def private_ca(self) -> bool:
        return self.certificate_issuer == "private-ca"

    @property
    def backend_port(self) -> int:
        return self.app_port or self.target_port

    @property
    def tls_versions(self) -> tuple[str, ...]:
        """The TLS versions the listener accepts, newest first."""
        return TLS_VERSIONS[self.tls_policy]

    @property
    def min_tls(self) -> str:
        return self.tls_versions[-1]


MonitoringRoute = Literal["in-vpc", "peering", "transit-gateway"]


class MonitoringPath(_Decision):
    """How the exporters beside Prometheus (the ``monitoring`` namespace of its cluster) reach
    the plan's data stores: from inside the VPC, or from the monitoring network's range (the
    Terraform input ``variable``) over the route the plan names, which the stack does not own."""

    route: MonitoringRoute
    variable: str = ""  # the input holding the monitoring network's range; "" inside the VPC
    ports: list[int] = Field(default_factory=list)  # the data stores' ports it reaches


class NetworkPlan(_Decision):
    vpc_cidr: str
    subnets: list[Subnet]
    # The VPC exists already (a shared network or a Modify): referenced, never created.
    existing_vpc: bool = False
    rules: list[FirewallRule]
    dns_records: list[DnsRecord] = Field(default_factory=list)
    load_balancer: LoadBalancer | None = None
    vpn: dict[str, str] = Field(default_factory=dict)
    # Zones that get a NAT gateway (one per zone in production, one shared elsewhere).
    nat_zones: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    # The port the workload listens on (None: the plan reaches no application), and whether
    # the request named it or the plan assumed it (an assumption the requester must confirm).
    app_port: int | None = Field(default=None, ge=1, le=65535)
    app_port_assumed: bool = False
    # What the plan assumed rather than read from the request, each to be confirmed by the
    # requester (shown in the plan and in the request's result).
    assumptions: list[str] = Field(default_factory=list)
    # The private hosted zone (attached to the VPC) that holds the internal names; empty when
    # every record is public. Public names go to the zone the operator names.
    private_zone: str = ""
    # Where Prometheus's exporters reach the data stores from (None: no data store here).
    monitoring: MonitoringPath | None = None

    def in_private_zone(self, name: str) -> bool:
        zone = self.private_zone
        return bool(zone) and (name == zone or name.endswith(f".{zone}"))

    @property
    def public_records(self) -> bool:
        return any(not self.in_private_zone(d.name) for d in self.dns_records)


class BackupRule(_Decision):
    """One AWS Backup rule: when it starts (AWS cron, UTC) and how long its copies are kept."""

    name: str
    schedule: str
    delete_after_days: int = Field(ge=1)


class DatabasePlan(_Decision):
    engine: Engine
    version: str
    port: int
    instance_class: str
    storage_gb: int = Field(ge=0)
    multi_az: bool
    read_replicas: int = Field(ge=0)
    backup_schedule: str
    retention_days: int = Field(ge=0)
    # RDS's own windows (UTC) and the long-term AWS Backup rules, scheduled clear of them.
    backup_window: str = "03:00-03:30"
    maintenance_window: str = "sun:03:30-sun:04:30"
    backup_rules: list[BackupRule] = Field(default_factory=list)
    point_in_time_recovery: bool
    rpo_minutes: int = Field(ge=0)
    achieved_rpo_minutes: int = Field(ge=0)
    # Cross-region read replicas and backup copies (regions), when the design asks for them.
    replica_regions: list[str] = Field(default_factory=list)
    backup_copy_regions: list[str] = Field(default_factory=list)
    parameters: dict[str, str] = Field(default_factory=dict)
    migration_plan: list[str] = Field(default_factory=list)
    rollback_plan: list[str] = Field(default_factory=list)
    rationale: list[str] = Field(default_factory=list)


class StoragePlan(_Decision):
    buckets: list[BucketPlan]
    rationale: list[str] = Field(default_factory=list)


class DataPlan(_Decision):
    """The Database Administrator's decision: a database (engine) and/or object storage."""

    database: DatabasePlan | None = None
    storage: StoragePlan | None = None


class AutomationPlan(_Decision):
    """What the automation engineer codified, as typed models the templates only render."""

    modules: list[str]
    resources_as_code: int = Field(ge=0)
    resources_total: int = Field(ge=0)
    fixes_applied: list[str] = Field(default_factory=list)
    # Findings the team could not fix (reported, never hidden).
    unfixed: list[str] = Field(default_factory=list)
    # "create" (New), "modify" (changes against existing infrastructure) or "remove".
    mode: Literal["create", "modify", "remove"] = "create"
    stack: TerraformStack | None = None
    change: ModifyChange | None = None
    removals: list[Removal] = Field(default_factory=list)
    # Remove: the state of the stack whose module the removed blocks belong in (when known).
    owner_state: StateBackend | None = None
    playbook: AnsiblePlaybook | None = None
    kubernetes: KubernetesApp | None = None
    # The CloudWatch exporter's role, when the bundle's resources are watched through CloudWatch.
    cloudwatch_reader: CloudWatchReader | None = None


class Slo(_Decision):
    name: str
    sli: str
    objective: float = Field(gt=0, lt=100)
    window_days: int = Field(ge=1)
    error_budget_minutes: float = Field(ge=0)


class AlertRule(_Decision):
    """One alert rule as rendered, with its proof (``cases``, run by promtool) and the
    procedure the runbook gives the responder. ``severity`` is the handbook's alert scale;
    ``labels`` carry it with the incident scale it maps to (opsteam.domain.severity)."""

    name: str
    expr: str
    for_: str = Field(alias="for")
    severity: Literal["P0", "P1", "P2", "P3"]
    summary: str
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    cases: list[AlertCase] = Field(default_factory=list)
    procedure: list[str] = Field(default_factory=list)

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class WatchTarget(_Decision):
    """What the service runs on, as the SRE watches it (from the design and the decisions)."""

    kubernetes: bool
    web: bool
    sql_engine: Engine | None
    sql_port: int | None
    cache: bool
    hosts: bool
    endpoint: bool
    replicas: bool = False


class EscalationRow(_Decision):
    level: str
    who: str
    when: str


class RemovalWatch(_Decision):
    window_minutes: int
    quiet_hours: int
    cleanup: list[dict[str, str]]


class ReliabilityPlan(_Decision):
    slos: list[Slo]
    alerts: list[AlertRule]
    readiness: list[GateCheck]
    runbook_title: str
    watch: WatchTarget
    rule_group: str
    dashboard: dict[str, Any]
    # Who answers each alert (role slug), keyed by alert name.
    alert_owners: dict[str, RoleSlug]
    escalation: list[EscalationRow]
    removal: RemovalWatch | None = None
    dashboards: list[str] = Field(default_factory=list)
    # Where every metric the alerts and dashboard read comes from, and the exporters' settings.
    scrape_jobs: list[ScrapeJob] = Field(default_factory=list)
    exporters: list[ExporterSettings] = Field(default_factory=list)
    exporter_deployments: list[ExporterDeployment] = Field(default_factory=list)
    runbook_url: str = ""  # absolute URL of this bundle's runbook (alert links)
    # Who is notified of each level, and how (Alertmanager): a P0/P1 pages, a P2/P3 does not;
    # the first receiver takes what no route matches.
    alert_receivers: list[AlertReceiver] = Field(default_factory=list)
    alert_routes: list[AlertRoute] = Field(default_factory=list)
    # Restore procedure for the data store (engine- and provider-specific commands).
    restore: list[str] = Field(default_factory=list)
    # How the infrastructure goes back (runbook, Rollback): the DBA's database rollback for a
    # modify of a data store, else a re-apply of the previous infrastructure code revision.
    rollback: list[str] = Field(default_factory=list)
