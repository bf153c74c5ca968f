"""The one typed state of the request graph.

Each role writes only its own slice; lists that parallel branches write to have reducers.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping
from datetime import date
from ipaddress import IPv4Network
from typing import Annotated, Any, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from opsteam.agents.sre import incidents as commander
from opsteam.agents.sre.comms import DocLink
from opsteam.domain.decisions import (
    ArchitectDesign,
    AutomationPlan,
    DataPlan,
    DesignDelta,
    NetworkPlan,
    ReliabilityPlan,
    ServerBaseline,
)
from opsteam.domain.decisions.plan import InfrastructurePlan
from opsteam.domain.incidents import Incident, IncidentReport, UtcTime
from opsteam.domain.inputs import BuiltStack, RunInputs
from opsteam.domain.model_use import ModelUse
from opsteam.domain.models import (
    Artifact,
    ChangeRequest,
    DecisionRecord,
    GateCheck,
    Redirect,
    ValidationResult,
)
from opsteam.domain.registry import RoleSlug

RunStatus = Literal["running", "completed", "rejected", "redirected", "failed"]


def by_role(old: dict[str, list[Any]], new: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Each role's latest output replaces its previous one (parallel roles merge)."""
    return {**old, **new}


def add_unique(old: list[str], new: list[str]) -> list[str]:
    return old + [x for x in new if x not in old]


class RequestState(BaseModel):
    thread_id: str = ""
    request: ChangeRequest
    # One role asked for alone (graphs/role.py), or None: the whole team (graphs/request.py).
    only: RoleSlug | None = None
    # The request as the architect revised it with people's requested changes (None: as sent).
    revised_request: ChangeRequest | None = None
    # The run's own date: documents written again later carry the same date.
    started_on: date | None = None
    # What the run knows from outside the request (settings, stacks opsteam already built).
    inputs: RunInputs = Field(default_factory=RunInputs)
    status: RunStatus = "running"
    redirect: Redirect | None = None
    design: ArchitectDesign | None = None
    servers: ServerBaseline | None = None
    network: NetworkPlan | None = None
    data: DataPlan | None = None
    automation: AutomationPlan | None = None
    plan: InfrastructurePlan | None = None
    reliability: ReliabilityPlan | None = None
    # Roles added to the roster as data: each engaged one's decision (JSON), by role slug;
    # empty when the role is not engaged in the current design.
    added_roles: Annotated[dict[str, dict[str, Any]], by_role] = Field(default_factory=dict)
    # Keyed by role slug: a role that runs again replaces exactly its own files.
    artifacts: Annotated[dict[str, list[Artifact]], by_role] = Field(default_factory=dict)
    validations: Annotated[dict[str, list[ValidationResult]], by_role] = Field(default_factory=dict)
    decisions: Annotated[list[DecisionRecord], operator.add] = Field(default_factory=list)
    feedback: list[str] = Field(default_factory=list)
    round: int = 1
    # "unanswered": a design checkpoint of the round has no decision; it is asked again.
    review: Literal["", "approved", "rejected", "changes", "unanswered"] = ""
    fix_attempts: dict[str, int] = Field(default_factory=dict)
    gate: list[GateCheck] = Field(default_factory=list)
    worked: Annotated[list[str], add_unique] = Field(default_factory=list)
    # With a chat model configured: each role's calls, tokens and fallbacks (by role slug).
    model_use: Annotated[dict[str, ModelUse], by_role] = Field(default_factory=dict)
    # With a chat model: each requested change as read (rules + model, cross-checked), by text;
    # read once, so a design revised again (in any process) reads it the same way.
    feedback_read: Annotated[dict[str, DesignDelta], by_role] = Field(default_factory=dict)
    summary: str = ""
    # Where the user asked for the bundle (submit --out), used when a later approval finishes.
    bundle_dir: str = ""

    @property
    def current_request(self) -> ChangeRequest:
        """What the team works on: the revised request when a person asked for changes."""
        return self.revised_request or self.request

    def built_stack(self) -> BuiltStack | None:
        """The Terraform stack this run built (a New request), as later runs remember it."""
        plan = self.automation
        stack = plan.stack if plan is not None and plan.mode == "create" else None
        if stack is None:
            return None
        created = self.network is not None and not self.network.existing_vpc
        return BuiltStack(
            thread_id=self.thread_id,
            prefix=stack.prefix,
            region=stack.region,
            state_bucket=stack.backend.bucket,
            state_key=stack.backend.key,
            vpc_cidr=IPv4Network(stack.vpc_cidr) if created else None,
            outputs=[o.name for o in stack.outputs],
        )

    def all_artifacts(self) -> list[Artifact]:
        return sorted((a for items in self.artifacts.values() for a in items), key=lambda a: a.path)

    def all_validations(self) -> list[ValidationResult]:
        found = (v for items in self.validations.values() for v in items)
        return sorted(found, key=lambda v: (v.path, v.validator))


def input_of(state: BaseModel) -> dict[str, Any]:
    """The fields that differ from their defaults, as a graph's input.

    LangGraph writes every non-None field of a model given as input (empty lists and dicts
    too) as a channel write of its own, one stored row each; a field left out reads back as
    its default all the same.
    """
    defaults = _defaults(type(state))
    return {name: value for name, value in state if value != defaults[name]}


@functools.cache
def _defaults(model: type[BaseModel]) -> dict[str, Any]:
    """Each field's default, made once per model (compared only, never handed out): pydantic
    inspects a default factory's signature at every call."""
    return {
        name: field.get_default(call_default_factory=True)
        for name, field in model.model_fields.items()
    }


def changes(state: BaseModel, update: Mapping[str, Any]) -> dict[str, Any]:
    """``update`` without the keys that would leave ``state`` as it is (through its reducer).

    Every key a node returns is a stored write and a new channel version (one row each on
    PostgreSQL), whether or not its value changed.
    """
    fields = type(state).model_fields
    kept = {}
    for name, value in update.items():
        field = fields.get(name)
        if field is None:
            kept[name] = value
            continue
        old = getattr(state, name)
        reducer = next((m for m in field.metadata if callable(m)), None)
        if (reducer(old, value) if reducer else value) != old:
            kept[name] = value
    return kept


S = TypeVar("S")
In = TypeVar("In", contravariant=True)


class StateNode(Protocol[In]):
    def __call__(self, state: In) -> dict[str, Any]: ...


def lean(node: StateNode[S]) -> StateNode[S]:
    """``node`` writing only what it changes in a state it is given (see :func:`changes`)."""

    @functools.wraps(node)
    def run(state: S) -> dict[str, Any]:
        update = node(state)
        return changes(state, update) if isinstance(state, BaseModel) and update else update

    return run


CommandKind = Literal["update", "tick", "resolve"]


class IncidentCommand(BaseModel):
    """What a resume delivers: an update (incl. a human decision), a clock tick, a resolution."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: CommandKind
    at: UtcTime
    update: commander.IncidentUpdate | None = None
    resolution: commander.Resolution | None = None
    links: list[DocLink] = Field(default_factory=list)


class IncidentState(BaseModel):
    report: IncidentReport
    now: UtcTime
    incident: Incident | None = None
    command: IncidentCommand | None = None
