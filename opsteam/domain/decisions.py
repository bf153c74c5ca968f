"""What each role decided: typed, so the next role reads facts, not prose.

Every role module returns one of these from its pure ``decide`` function; templates render
them into artifacts. Names, CIDRs, ports and sizes flow from here into every artifact, which
keeps the bundle consistent.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from opsteam.domain.models import CheckpointNeed, Engine, GateCheck

DesignComponent = Literal[
    "web",  # an HTTP service (runs on Kubernetes)
    "kubernetes",
    "database",
    "cache",
    "object-storage",
    "server",  # virtual machines the systems administrator baselines
    "load-balancer",
    "dns",
    "vpn",
    "firewall",
    "monitoring",
]


class _Decision(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Assignment(_Decision):
    role_id: str  # internal routing id, redacted at the exit
    reason: str
    tasks: list[str]


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
    revision: int = 1
    feedback_applied: list[str] = Field(default_factory=list)
    # Issue 3 fills the full plan (sections of the seed template) here.
    plan: dict[str, object] = Field(default_factory=dict)


class HostSpec(_Decision):
    name: str
    purpose: str
    os: str
    instance_type: str
    count: int = Field(ge=0)


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


class DnsRecord(_Decision):
    name: str
    type: Literal["A", "AAAA", "CNAME", "ALIAS", "TXT"]
    value: str
    ttl: int = Field(ge=30)


class LoadBalancer(_Decision):
    name: str
    scheme: Literal["internet-facing", "internal"]
    listener_port: int
    target_port: int
    tls_policy: str
    certificate: str
    health_check_path: str


class NetworkPlan(_Decision):
    vpc_cidr: str
    subnets: list[Subnet]
    rules: list[FirewallRule]
    dns_records: list[DnsRecord] = Field(default_factory=list)
    load_balancer: LoadBalancer | None = None
    vpn: dict[str, str] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)


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
    point_in_time_recovery: bool
    parameters: dict[str, str] = Field(default_factory=dict)
    migration_plan: list[str] = Field(default_factory=list)
    rollback_plan: list[str] = Field(default_factory=list)
    rationale: list[str] = Field(default_factory=list)


class AutomationPlan(_Decision):
    """What the automation engineer codified: which artifacts, from which decisions."""

    modules: list[str]
    resources_as_code: int = Field(ge=0)
    resources_total: int = Field(ge=0)
    fixes_applied: list[str] = Field(default_factory=list)
    # "create" (New), "modify" (changes against existing infrastructure) or "remove".
    mode: Literal["create", "modify", "remove"] = "create"


class Slo(_Decision):
    name: str
    sli: str
    objective: float = Field(gt=0, lt=100)
    window_days: int = Field(ge=1)
    error_budget_minutes: float = Field(ge=0)


class AlertRule(_Decision):
    name: str
    expr: str
    for_: str = Field(alias="for")
    severity: Literal["P0", "P1", "P2", "P3"]
    summary: str

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class ReliabilityPlan(_Decision):
    slos: list[Slo]
    alerts: list[AlertRule]
    readiness: list[GateCheck]
    runbook_title: str
    dashboards: list[str] = Field(default_factory=list)
