"""The team roster (registry.yaml) as typed, validated data.

The registry says *who* each role is; the agent modules say *how* it thinks.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeGuard, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from opsteam.domain.errors import RegistryError
from opsteam.domain.request_routing import RequestRouting
from opsteam.domain.settings import Settings, load_settings
from opsteam.domain.yamlio import parse_model

# The six core seats: each has a playbook in opsteam.agents and its place in the team's flow.
RoleSlug = Literal[
    "infrastructure-architect",
    "systems-administrator",
    "network-engineer",
    "database-administrator",
    "site-reliability-engineer",
    "automation-engineer",
]
CheckpointKind = Literal[
    "architecture-change",
    "external-integration",
    "customer-schema-change",
    "cross-division",
    "production-change",
]
MAX_REGISTRY_BYTES = 1_000_000
CORE_ROLES: tuple[RoleSlug, ...] = get_args(RoleSlug)
# A role added as data: lower-case words joined by hyphens, at least two ("finops-analyst"),
# so a slug never collides with a step of the graph ("plan", "report").
EXTRA_SLUG = r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)+$"
MAX_EXTRA_ROLES = 12


def is_core(slug: str | None) -> TypeGuard[RoleSlug]:
    """Whether ``slug`` is one of the six core seats (typed as such when it is)."""
    return slug in CORE_ROLES


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Role(_Strict):
    id: str = Field(pattern=r"^[A-Z]{2,5}-\d{3}$")
    # A core seat's slug, or a role added as data (see :data:`EXTRA_SLUG`).
    slug: str = Field(pattern=EXTRA_SLUG, max_length=60)
    name: str = Field(min_length=1, max_length=80)
    title: str
    specialty: str
    primary_responsibility: str
    capabilities: tuple[str, ...]
    triggers: tuple[str, ...]
    handoffs: tuple[str, ...]
    tools: tuple[str, ...]
    # A role added as data: the human checkpoints its work needs whenever it is engaged.
    checkpoints: tuple[CheckpointKind, ...] = ()

    @property
    def core(self) -> bool:
        """One of the six seats with a playbook of its own (else a role added as data)."""
        return is_core(self.slug)


class Team(_Strict):
    slug: str
    name: str
    mission: str
    division: str
    lead: str


class FlowStep(_Strict):
    step: str
    role: str | None = None
    roles: tuple[str, ...] = ()
    parallel: bool = False
    does: tuple[str, ...]


class CheckpointSpec(_Strict):
    kind: CheckpointKind
    name: str
    triggers: tuple[str, ...]


class Gates(_Strict):
    change_approval: tuple[str, ...]
    production_readiness: tuple[str, ...]


class EscalationLevel(_Strict):
    level: str
    role: str  # a role id, "component" (the incident's component owner) or "human"
    from_minutes: int = Field(ge=0)
    until_minutes: int | None = None


class OnCall(_Strict):
    primary: str
    secondary: str
    handoff_utc: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    # People per role, keyed by the role's public slug (internal IDs are accepted too).
    members: dict[RoleSlug, tuple[str, ...]] = Field(default_factory=dict)


class Kpi(_Strict):
    key: str
    name: str
    target: float
    comparison: Literal[">=", ">", "<", "<="]
    unit: str
    measurement: str


class Redirect(_Strict):
    topic: str
    owner: str
    triggers: tuple[str, ...]


class IncidentRouting(_Strict):
    """Incident routing data a shop tunes: the objects each role owns, the hand-off topic.

    ``owns`` lists, per role (public slug; internal IDs are accepted too), words that name the
    infrastructure objects the role owns as alert names, labels or diagnoses spell them
    (``node``, ``coredns``, ``postgres``...). How evidence is weighed lives in code.
    """

    owns: dict[RoleSlug, tuple[str, ...]]
    # The out_of_scope topic whose owner takes faults in application code.
    handoff_topic: str

    @model_validator(mode="after")
    def _words(self) -> IncidentRouting:
        bad = sorted(
            {w for ws in self.owns.values() for w in ws if w != w.strip().lower() or not w}
        )
        if bad:
            raise ValueError(f"owns: words must be lower-case and non-empty: {bad[:5]}")
        return self


class Registry(_Strict):
    version: Literal[1]
    team: Team
    roles: tuple[Role, ...]
    request_flow: tuple[FlowStep, ...]
    checkpoints: tuple[CheckpointSpec, ...]
    gates: Gates
    escalation: tuple[EscalationLevel, ...]
    oncall: OnCall
    kpis: tuple[Kpi, ...]
    out_of_scope: tuple[Redirect, ...]
    # Optional in a user's roster: load_registry() fills them from the packaged one.
    incident_routing: IncidentRouting | None = None
    request_routing: RequestRouting | None = None

    @model_validator(mode="before")
    @classmethod
    def _members_by_slug(cls, data: Any) -> Any:
        """Let on-call members and routing owners be keyed by internal ID as well as by slug."""
        if not isinstance(data, dict) or not isinstance(data.get("roles"), list):
            return data
        slugs = {r.get("id"): r.get("slug") for r in data["roles"] if isinstance(r, dict)}
        for section, key in (("oncall", "members"), ("incident_routing", "owns")):
            block = data.get(section)
            if isinstance(block, dict) and isinstance(block.get(key), dict):
                keyed = {slugs.get(k, k): v for k, v in block[key].items()}
                if len(keyed) < len(block[key]):
                    raise ValueError(f"{section}.{key}: a role is listed twice (by ID and slug)")
                data = {**data, section: {**block, key: keyed}}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Registry:
        ids = [r.id for r in self.roles]
        slugs = [r.slug for r in self.roles]
        if len(set(ids)) != len(ids):
            raise ValueError("roles: role ids must be unique")
        if len(set(slugs)) != len(slugs):
            twice = sorted({s for s in slugs if slugs.count(s) > 1})
            raise ValueError(f"roles: slug listed twice: {', '.join(twice)}")
        missing_roles = [s for s in CORE_ROLES if s not in slugs]
        if missing_roles:
            raise ValueError(
                f"roles: the core seats are required (missing: {', '.join(missing_roles)})"
            )
        self._check_extra_roles()
        kinds = [c.kind for c in self.checkpoints]
        missing = [k for k in get_args(CheckpointKind) if k not in kinds]
        if missing or len(set(kinds)) != len(kinds):
            raise ValueError(
                "checkpoints: must list each checkpoint kind exactly once"
                + (f" (missing: {', '.join(missing)})" if missing else "")
            )
        core_ids = {r.id for r in self.roles if r.core}
        unknown = [
            f"{where}: {_unknown_ref(value) if value not in ids else _NOT_A_SEAT}"
            for where, value in self._role_refs()
            if value not in core_ids
        ]
        if unknown:
            raise ValueError("; ".join(unknown))
        routing = self.incident_routing
        if routing is not None and routing.handoff_topic not in {
            r.topic for r in self.out_of_scope
        }:
            raise ValueError(
                f"incident_routing.handoff_topic: {routing.handoff_topic!r} is not an "
                "out_of_scope topic"
            )
        return self

    def _check_extra_roles(self) -> None:
        """Hand-offs name listed roles; checkpoints belong to roles added as data."""
        slugs = {r.slug for r in self.roles}
        problems = []
        for i, role in enumerate(self.roles):
            problems += [
                f"roles[{i}].handoffs: {_unknown_ref(h, 'slug')}"
                for h in role.handoffs
                if h not in slugs
            ]
            if role.core and role.checkpoints:
                problems.append(
                    f"roles[{i}].checkpoints: only for a role added to the roster "
                    "(a core seat's checkpoints are decided by its playbook)"
                )
            if not role.core and not role.triggers:
                problems.append(f"roles[{i}].triggers: a role added to the roster needs triggers")
        if len(self.extra_roles) > MAX_EXTRA_ROLES:
            problems.append(f"roles: at most {MAX_EXTRA_ROLES} roles besides the core seats")
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def extra_roles(self) -> tuple[Role, ...]:
        """Roles added as data (no playbook in opsteam.agents), in roster order."""
        return tuple(r for r in self.roles if not r.core)

    def _role_refs(self) -> list[tuple[str, str]]:
        """(field path, value) of every role reference, as the file writes it."""
        refs = [("team.lead", self.team.lead)]
        refs += [("oncall.primary", self.oncall.primary)]
        refs += [("oncall.secondary", self.oncall.secondary)]
        for i, step in enumerate(self.request_flow):
            refs += [(f"request_flow[{i}].role", step.role)] if step.role else []
            refs += [(f"request_flow[{i}].roles[{j}]", r) for j, r in enumerate(step.roles)]
        refs += [
            (f"escalation[{i}].role", e.role)
            for i, e in enumerate(self.escalation)
            if e.role not in ("component", "human")
        ]
        return refs

    @property
    def routing(self) -> RequestRouting:
        """The request routing data (a roster without its own uses the packaged one)."""
        if self.request_routing is None:
            raise RegistryError("registry: request_routing is missing")
        return self.request_routing

    def handoff_owner(self) -> str:
        """Who takes faults in application code (the hand-off topic's owner)."""
        routing = self.incident_routing
        topic = routing.handoff_topic if routing else ""
        found = next((r.owner for r in self.out_of_scope if r.topic == topic), None)
        return found or "the service's owning team"

    def role(self, key: str) -> Role:
        """Look a role up by internal id or public slug."""
        for r in self.roles:
            if key in (r.id, r.slug):
                return r
        raise KeyError(key)

    def public_names(self) -> dict[str, str]:
        return {r.id: r.name for r in self.roles}

    def checkpoint(self, kind: str) -> CheckpointSpec:
        for c in self.checkpoints:
            if c.kind == kind:
                return c
        raise KeyError(kind)


def default_registry_path() -> Path:
    """The registry shipped with the package (works from a wheel and a checkout)."""
    return Path(str(resources.files("opsteam").joinpath("registry.yaml")))


def _read(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_REGISTRY_BYTES:
            raise RegistryError(f"{path}: registry is {size} bytes, limit {MAX_REGISTRY_BYTES}")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RegistryError(f"{path}: registry file not found") from None
    except IsADirectoryError:
        raise RegistryError(f"{path}: is a directory; give a registry YAML file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{path}: cannot read registry ({exc})") from None


def parse_registry(text: str, source: str = "registry.yaml") -> Registry:
    return parse_model(text, Registry, source, RegistryError)


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int) -> Registry:
    registry = parse_registry(_read(Path(path)), source=path)
    if Path(path) == default_registry_path():
        return registry
    packaged = default_registry()
    missing = {
        name: getattr(packaged, name)
        for name in ("incident_routing", "request_routing")
        if getattr(registry, name) is None
    }
    return registry.model_copy(update=missing) if missing else registry


# PREFIX-NUMBER, the shape of an internal role ID: never echoed, even when it is not one.
_ID_LIKE = re.compile(r"[A-Za-z]+[\s_\-\u2010-\u2015]*\d+[A-Za-z0-9]*")


_NOT_A_SEAT = "a role added to the roster cannot be named here (give a core seat's id)"


def _unknown_ref(value: str, key: str = "id") -> str:
    """Names the value as written, unless it has an internal ID's shape (never echoed)."""
    if _ID_LIKE.fullmatch(value.strip()):
        return "unknown role ID (no role listed under roles has it)"
    text = repr(value)
    shown = text if len(text) <= 40 else text[:37] + "..."
    return f"unknown role {shown} (give the {key} of a role listed under roles)"


def load_registry(path: str | Path | None = None, *, settings: Settings | None = None) -> Registry:
    """Load the roster: explicit path, else $OPSTEAM_REGISTRY, else the packaged one."""
    configured = (settings or load_settings()).registry
    chosen = Path(path or configured or default_registry_path())
    try:
        mtime = chosen.stat().st_mtime_ns
    except OSError:
        raise RegistryError(f"{chosen}: registry file not found") from None
    return _load_cached(str(chosen), mtime)


def default_registry() -> Registry:
    """The roster shipped with the package, whatever the environment says."""
    return load_registry(default_registry_path())
