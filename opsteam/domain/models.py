"""The change request form and the records that flow around it.

Field names follow the team's Infrastructure Change Request form; planning hints
(size, RPO, existing ranges...) are optional and let the roles decide precisely.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from ipaddress import IPv4Network
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from opsteam.domain.registry import CheckpointKind
from opsteam.domain.secrets import mask_secrets, secret_kinds

MAX_TEXT = 8_000
MAX_SHORT = 200
MAX_REASON = 2_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean_text(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("contains control characters")
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _scalar_to_text(value: Any) -> Any:
    """YAML reads ``timeline: 2026-12-08`` as a date; the form field is text."""
    if isinstance(value, date | int | float) and not isinstance(value, bool):
        return value.isoformat() if isinstance(value, date) else str(value)
    return value


def _no_secret(value: str) -> str:
    """Names are built from identifying fields and shown everywhere: a secret there is refused."""
    kinds = secret_kinds(value)
    if kinds:
        raise ValueError(
            f"holds a secret ({', '.join(dict.fromkeys(kinds))}); this field is shown as a name "
            "and names are built from it, so take the secret out"
        )
    return value


# The length limit comes first so it applies to the string itself ("at most N characters").
# Free text is masked as it is read, so state, checkpoints and history only hold masked text.
Text = Annotated[
    str,
    StringConstraints(max_length=MAX_TEXT),
    BeforeValidator(_scalar_to_text),
    AfterValidator(_clean_text),
    AfterValidator(mask_secrets),
]
ShortText = Annotated[
    str,
    StringConstraints(max_length=MAX_SHORT),
    BeforeValidator(_scalar_to_text),
    AfterValidator(_clean_text),
    AfterValidator(mask_secrets),
]
# Who asked or decided: refused (not masked) when it holds a secret.
NameText = Annotated[
    str,
    StringConstraints(max_length=MAX_SHORT),
    BeforeValidator(_scalar_to_text),
    AfterValidator(_clean_text),
    AfterValidator(_no_secret),
]


class ChangeType(StrEnum):
    NEW = "New"
    MODIFY = "Modify"
    REMOVE = "Remove"


class Environment(StrEnum):
    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"


class Component(StrEnum):
    SERVER = "server"
    NETWORK = "network"
    DATABASE = "database"
    CACHE = "cache"
    STORAGE = "storage"
    KUBERNETES = "kubernetes"
    DNS = "dns"
    LOAD_BALANCER = "load-balancer"
    FIREWALL = "firewall"
    VPN = "vpn"
    MONITORING = "monitoring"
    OTHER = "other"


class Size(StrEnum):
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"
    XLARGE = "xlarge"


class Engine(StrEnum):
    POSTGRES = "postgres"
    MYSQL = "mysql"
    REDIS = "redis"


class Cloud(StrEnum):
    AWS = "aws"
    GCP = "gcp"
    AZURE = "azure"


_ENV_ALIASES = {"development": "dev", "production": "prod", "stage": "staging", "prd": "prod"}
_TYPE_ALIASES = {"new": "New", "modify": "Modify", "remove": "Remove", "change": "Modify"}
_COMPONENT_ALIASES = {
    "db": "database",
    "loadbalancer": "load-balancer",
    "load balancer": "load-balancer",
    "lb": "load-balancer",
    "k8s": "kubernetes",
    "vm": "server",
    "host": "server",
    "redis": "cache",
    "s3": "storage",
    "bucket": "storage",
}


def _alias(table: dict[str, str]) -> Any:
    def convert(value: Any) -> Any:
        if isinstance(value, str):
            key = value.strip().lower()
            return table.get(key, key)
        return value

    return BeforeValidator(convert)


def _not_bool(value: Any) -> Any:
    """``true`` is not a number: lax parsing would run ``rpo_minutes: true`` as 1."""
    if isinstance(value, bool):
        raise ValueError("must be a number, got true/false")
    return value


def _cidr_text(value: Any) -> Any:
    """A range is written as text (``10.0.0.0/16``): the integer 10 would mean 0.0.0.10/32."""
    if not isinstance(value, str | IPv4Network):
        raise ValueError("must be an address range written as text, e.g. 10.0.0.0/16")
    return value


# Whole numbers where a bool would silently become 0 or 1.
Count = Annotated[int, BeforeValidator(_not_bool)]
Cidr = Annotated[IPv4Network, BeforeValidator(_cidr_text)]


class MaintenanceWindow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    start: datetime
    duration_minutes: Count = Field(ge=15, le=24 * 60)

    @field_validator("start")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("must include a timezone, e.g. 2026-12-01T02:00:00Z")
        return value


Region = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}-[a-z]+-\d$")]


class ChangeRequest(BaseModel):
    """REQUEST / TYPE / COMPONENT / DESCRIPTION / JUSTIFICATION / TIMELINE / IMPACT / REQUESTER."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    request: ShortText
    type: Annotated[ChangeType, _alias(_TYPE_ALIASES)]
    component: Annotated[Component, _alias(_COMPONENT_ALIASES)]
    # What the person wrote for the component when it is none of the form's values
    # ("CI/CD", "Platform"): kept as data, the architect decides from the words.
    component_words: ShortText | None = None
    description: Text
    justification: Text
    timeline: ShortText
    impact: Text
    requester: NameText
    environment: Annotated[Environment, _alias(_ENV_ALIASES)]
    service: Annotated[str, AfterValidator(_no_secret)] | None = Field(
        default=None, pattern=r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$"
    )
    # Planning hints: optional, the roles choose sensible defaults.
    size: Annotated[Size, BeforeValidator(_lower)] = Size.MEDIUM
    engine: Annotated[Engine | None, BeforeValidator(_lower)] = None
    cloud: Annotated[Cloud | None, BeforeValidator(_lower)] = None
    region: Region | None = None
    rpo_minutes: Count | None = Field(default=None, ge=0, le=7 * 24 * 60)
    rto_minutes: Count | None = Field(default=None, ge=1, le=7 * 24 * 60)
    expected_users: Count | None = Field(default=None, ge=1, le=1_000_000_000)
    ports: list[Count] = Field(default_factory=list, max_length=32)
    existing_cidrs: list[Cidr] = Field(default_factory=list, max_length=64)
    # The change lands in a network that already exists (shared VPC): none is created.
    existing_network: bool | None = Field(default=None, strict=True)
    compliance: list[
        Annotated[Literal["gdpr", "hipaa", "soc2", "pci-dss"], BeforeValidator(_lower)]
    ] = Field(default_factory=list, max_length=4)
    integrations: list[ShortText] = Field(default_factory=list, max_length=16)
    maintenance_window: MaintenanceWindow | None = None
    # Data-store hints (also what a person's requested change revises).
    engine_version: str | None = Field(default=None, pattern=r"^\d{1,2}(\.\d{1,2})?$")
    read_replicas: int | None = Field(default=None, ge=0, le=5, strict=True)
    # Read replicas on top of the Database Administrator's own sizing ("add a read replica").
    extra_read_replicas: int = Field(default=0, ge=0, le=5, strict=True)
    multi_az: bool | None = Field(default=None, strict=True)
    replica_regions: list[Region] = Field(default_factory=list, max_length=3)
    backup_copy_regions: list[Region] = Field(default_factory=list, max_length=3)

    @field_validator("ports")
    @classmethod
    def _valid_ports(cls, ports: list[int]) -> list[int]:
        bad = [p for p in ports if not 1 <= p <= 65535]
        if bad:
            raise ValueError(f"port(s) out of range 1-65535: {bad}")
        return sorted(set(ports))

    @model_validator(mode="after")
    def _fill_service(self) -> ChangeRequest:
        if self.service is None:
            object.__setattr__(self, "service", slugify(self.request))
        return self

    @property
    def service_name(self) -> str:
        return self.service or slugify(self.request)

    @model_validator(mode="before")
    @classmethod
    def _open_component(cls, data: Any) -> Any:
        """Any component word is accepted: an unknown one is kept and becomes "other"."""
        if not isinstance(data, dict) or not isinstance(data.get("component"), str):
            return data
        word = data["component"].strip()
        key = _COMPONENT_ALIASES.get(word.lower(), word.lower())
        if key in {c.value for c in Component}:
            return data
        return {
            **data,
            "component": "other",
            "component_words": data.get("component_words") or word,
        }

    @property
    def text(self) -> str:
        """Everything a reader would scan for keywords, lower-cased."""
        parts = [self.request, self.description, self.justification, self.impact]
        parts += [self.component.value, self.component_words or "", *self.integrations]
        return " ".join(parts).lower()


_MASKED = re.compile(r"\[redacted[a-z-]*\]")


def slugify(text: str) -> str:
    """A name from free text, made from its masked form (a secret never becomes a name)."""
    text = _MASKED.sub(" ", mask_secrets(text))
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if not slug or not slug[0].isalpha():
        slug = f"svc-{slug}".strip("-")
    slug = slug[:40].strip("-")  # after the prefix, so a name is never longer than 40
    return slug if len(slug) >= 3 else f"{slug}-svc"


ArtifactKind = Literal[
    "terraform",
    "tfvars",  # terraform.tfvars.example: HCL values, parsed only
    "ansible",
    "kubernetes",
    "prometheus-rules",
    "prometheus-tests",
    "prometheus-config",
    "alertmanager-config",
    "grafana-dashboard",
    "svg",
    "markdown",
    "json",
    "yaml",
]


class Artifact(BaseModel):
    """A file the team produced; content is rendered by templates, never by free text."""

    model_config = ConfigDict(frozen=True)
    path: str
    role: str  # the public slug of the role that made it (a core seat or one added as data)
    kind: ArtifactKind
    content: str


class ValidationStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_INSTALLED = "not-installed"
    ERROR = "error"


FindingSeverity = Literal["error", "warning"]


class Finding(BaseModel):
    """One problem a validator reported, as the tool reported it (check id, file, line...).

    Typed so the role that made the file can look its check id up and fix the resource;
    ``validator`` and ``file`` are filled in by the validation runner.
    """

    model_config = ConfigDict(frozen=True)
    validator: str = ""
    check_id: str
    file: str = ""
    line: int | None = None
    resource: str = ""
    message: str
    severity: FindingSeverity = "error"

    def __str__(self) -> str:
        where = ", ".join(
            part for part in (self.resource, f"line {self.line}" if self.line else "") if part
        )
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{prefix}{self.check_id}: {self.message}" + (f" ({where})" if where else "")


class ValidationResult(BaseModel):
    model_config = ConfigDict(frozen=True)
    path: str
    validator: str
    status: ValidationStatus
    findings: list[Finding] = Field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def message(self) -> str:
        if self.status is ValidationStatus.NOT_INSTALLED:
            return f"validator {self.validator} not installed, artifact not verified"
        return f"{self.validator}: {self.status.value}"


class CheckpointNeed(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: CheckpointKind
    reason: str
    # The facts of the request that raised it, with their evidence (shown to the person).
    facts: list[str] = Field(default_factory=list)


Verdict = Literal["approve", "reject", "changes"]


class DecisionRecord(BaseModel):
    """Who decided what at a checkpoint, when and why."""

    model_config = ConfigDict(frozen=True)
    checkpoint: CheckpointKind
    verdict: Verdict
    by: str
    at: datetime
    reason: str = ""
    round: int = 1


def _clean_optional(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("contains control characters")
    return value.strip()


class DecisionInput(BaseModel):
    """What a person types when deciding: checked before anything resumes or is recorded."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    by: NameText
    reason: Annotated[
        str,
        StringConstraints(max_length=MAX_REASON),
        AfterValidator(_clean_optional),
        AfterValidator(mask_secrets),
    ] = ""


class GateCheck(BaseModel):
    model_config = ConfigDict(frozen=True)
    item: str
    passed: bool
    evidence: str


class Redirect(BaseModel):
    model_config = ConfigDict(frozen=True)
    topic: str
    owner: str
    reason: str
