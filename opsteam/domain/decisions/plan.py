"""Typed sections of the architect's infrastructure plan (seed plan template).

The architect assembles the plan after the specialists decided, from their decisions; it is
stored in the graph state, and ``plan/infrastructure-plan.md`` only renders it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

PlatformKey = Literal["aws", "gcp", "azure", "simple"]

CostTable = Literal["compute", "database", "storage", "networking", "security"]
Priority = Literal["P0", "P1", "P2", "P3"]
CostCategory = Literal["Cloud infrastructure", "SaaS tools", "Domains/DNS", "Security tools"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CostItem(_Section):
    """One priced line: a component table row and a contribution to the cost summary."""

    table: CostTable
    category: CostCategory
    use: str
    service: str
    size: str
    quantity: int = Field(ge=0)
    low: int = Field(ge=0)
    high: int = Field(ge=0)
    # Terraform resource types in the bundle this line prices (the plan prices nothing else).
    resources: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ordered(self) -> CostItem:
        if self.low > self.high:
            raise ValueError("low estimate must not exceed high estimate")
        return self


class CostEstimate(_Section):
    platform: str
    items: list[CostItem]
    low: int = Field(ge=0)
    high: int = Field(ge=0)


class PlatformOption(_Section):
    key: PlatformKey
    label: str
    pros: str
    cons: str
    low: int = Field(ge=0)
    high: int = Field(ge=0)
    suitable: bool
    limitation: str = ""


class CurrentStateRow(_Section):
    component: str
    current: str
    status: str
    notes: str


class PainPoint(_Section):
    issue: str
    impact: str
    priority: Priority


class CategoryTotal(_Section):
    category: CostCategory
    low: int = Field(ge=0)
    high: int = Field(ge=0)


class OneTimeCost(_Section):
    item: str
    cost: int = Field(ge=0)
    notes: str


class TrafficTier(_Section):
    tier: str
    users: str
    changes: str
    low: int = Field(ge=0)
    high: int = Field(ge=0)
    current: bool


class ScalingRule(_Section):
    metric: str
    scale_up: str
    scale_down: str
    limits: str


class DrTarget(_Section):
    system: str
    rto: str
    rpo: str
    cost_impact: str


class BackupItem(_Section):
    data: str
    frequency: str
    retention: str
    location: str


class Requirement(_Section):
    name: str
    detail: str


class RoadmapPhase(_Section):
    phase: int = Field(ge=1)
    tasks: str
    timeline: str
    dependencies: str


class Vendor(_Section):
    category: str
    vendor: str
    contract: str
    renewal: str


class Criterion(_Section):
    criterion: str
    weight: int = Field(ge=0, le=100)


class DiagramGroup(_Section):
    """A box of the architecture diagram (region, VPC, subnet tier), inside ``parent``."""

    id: str
    label: str
    parent: str = ""
    resources: list[str] = Field(default_factory=list)  # Terraform addresses it stands for


class DiagramNode(_Section):
    id: str
    label: str
    group: str = ""
    resource: str = ""  # the Terraform address it stands for ("": not in this bundle)


class DiagramEdge(_Section):
    source: str
    target: str
    label: str = ""


class Diagram(_Section):
    """The design as a picture (rendered as Mermaid): regions, the VPC and its subnet tiers,
    the load balancer, workloads, data stores and replicas, VPN peers; every box that stands
    for a resource names its Terraform address, so a test can hold it to the code."""

    groups: list[DiagramGroup]
    nodes: list[DiagramNode]
    edges: list[DiagramEdge]

    def addresses(self) -> set[str]:
        found = {n.resource for n in self.nodes if n.resource}
        return found | {a for g in self.groups for a in g.resources}


class InfrastructurePlan(_Section):
    """All sections of the infrastructure plan template, as facts."""

    title: str
    generated: str  # ISO date of the run (the run's clock, kept in the graph state)
    stage: Literal["Startup", "Growth", "Scale"]
    executive_summary: list[str]
    current_state: list[CurrentStateRow]
    pain_points: list[PainPoint]
    options: list[PlatformOption]
    platform: PlatformKey
    platform_label: str
    rationale: list[str]
    diagram: Diagram
    estimate: CostEstimate
    category_totals: list[CategoryTotal]
    one_time: list[OneTimeCost]
    tiers: list[TrafficTier]
    autoscaling: list[ScalingRule]
    dr_targets: list[DrTarget]
    backups: list[BackupItem]
    recovery_steps: list[str]
    rollback_plan: list[str] = Field(default_factory=list)  # the design's, database steps in
    security: list[Requirement]
    compliance: list[Requirement]
    tooling: list[Requirement]
    roadmap: list[RoadmapPhase]
    timeline_note: str = ""  # how the roadmap fits the requested timeline (or why it cannot)
    vendors: list[Vendor]
    criteria: list[Criterion]
    phase: str
    escalations: list[str]
    components_planned: int = Field(ge=0)
    price_as_of: str
    price_source: str
    price_stale: bool = False

    @property
    def monthly_low(self) -> int:
        return self.estimate.low

    @property
    def monthly_high(self) -> int:
        return self.estimate.high
