"""How the architect applies a person's requested changes to the request and the design.

Each change text becomes a typed :class:`~opsteam.domain.decisions.DesignDelta` (intake's
parser); the architect applies what fits the design, records each applied field with its
evidence, and reports what it could not apply ("not applied: ...") instead of dropping it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from opsteam.domain.decisions import AppliedChange, DesignComponent, DesignDelta
from opsteam.domain.models import ChangeRequest, Engine
from opsteam.domain.request_routing import RequestRouting
from opsteam.intake.changes import parse_change

# The region a cross-region copy goes to when the person names none: the provider's usual
# pair for disaster recovery, never the primary region itself.
REGION_PAIRS = {
    "us-east-1": "us-west-2",
    "us-east-2": "us-west-2",
    "us-west-1": "us-east-1",
    "us-west-2": "us-east-1",
    "eu-west-1": "eu-central-1",
    "eu-west-2": "eu-west-1",
    "eu-central-1": "eu-west-1",
    "ap-southeast-1": "ap-southeast-2",
    "ap-southeast-2": "ap-southeast-1",
    "ap-northeast-1": "ap-northeast-3",
}
DEFAULT_SECONDARY = "us-west-2"


@dataclass
class Revision:
    """What the requested changes did to the design, accumulated over the rounds."""

    feedback: list[str] = field(default_factory=list)
    applied: list[AppliedChange] = field(default_factory=list)
    not_applied: list[str] = field(default_factory=list)
    add_components: set[DesignComponent] = field(default_factory=set)
    remove_components: set[DesignComponent] = field(default_factory=set)


def secondary_region(primary: str) -> str:
    pair = REGION_PAIRS.get(primary, DEFAULT_SECONDARY)
    return pair if pair != primary else "us-east-1"


def _data_updates(
    request: ChangeRequest, delta: DesignDelta, engine: Engine | None, primary: str
) -> tuple[dict[str, Any], list[str]]:
    """Replica and backup changes; only a SQL database can take them."""
    updates: dict[str, Any] = {}
    refused: list[str] = []
    remote = [*delta.replica_regions]
    remote += [secondary_region(primary)] * min(delta.replica_in_other_region, 1)
    copies = [*delta.backup_copy_regions]
    copies += [secondary_region(primary)] if delta.backup_copy_other_region else []
    wants_data = remote or copies or delta.read_replicas is not None or delta.more_read_replicas
    if wants_data and (engine is None or engine is Engine.REDIS):
        refused.append("replicas and backup copies need a SQL database, and the design has none")
        return updates, refused
    if remote:
        updates["replica_regions"] = list(dict.fromkeys([*request.replica_regions, *remote]))
    if copies:
        updates["backup_copy_regions"] = list(
            dict.fromkeys([*request.backup_copy_regions, *copies])
        )
    if delta.read_replicas is not None:
        updates["read_replicas"] = delta.read_replicas
    elif delta.more_read_replicas:
        updates["extra_read_replicas"] = request.extra_read_replicas + delta.more_read_replicas
    return updates, refused


def _form_updates(request: ChangeRequest, delta: DesignDelta) -> dict[str, Any]:
    updates: dict[str, Any] = {}
    for name in ("region", "engine", "engine_version", "size", "multi_az"):
        value = getattr(delta, name)
        if value is not None:
            updates[name] = value
    for name in ("rpo_minutes", "rto_minutes"):
        value = getattr(delta, name)
        if value is not None:
            updates[name] = value
    if delta.add_ports or delta.remove_ports:
        ports = (set(request.ports) | set(delta.add_ports)) - set(delta.remove_ports)
        updates["ports"] = sorted(ports)
    if delta.existing_cidrs:
        known = [str(c) for c in request.existing_cidrs]
        updates["existing_cidrs"] = list(dict.fromkeys([*known, *delta.existing_cidrs]))
    return updates


def _validated(
    request: ChangeRequest, updates: dict[str, Any]
) -> tuple[ChangeRequest, dict[str, Any], list[str]]:
    """Apply the updates one by one; a value the form refuses is reported, never forced."""
    refused: list[str] = []
    current = request
    kept: dict[str, Any] = {}
    for name, value in updates.items():
        data = {**current.model_dump(mode="json"), name: value}
        try:
            current = ChangeRequest.model_validate(data)
        except ValidationError as exc:
            refused.append(f"{name} = {value}: {exc.errors()[0]['msg']}")
            continue
        kept[name] = value
    return current, kept, refused


def apply_change(
    request: ChangeRequest,
    text: str,
    revision: Revision,
    engine_of: Callable[[ChangeRequest], Engine | None],
    primary: str,
    routing: RequestRouting,
    read: DesignDelta | None = None,
) -> ChangeRequest:
    """One round of feedback: returns the revised request and records the outcome.

    ``engine_of`` is the architect's own engine choice for a request, so data changes are
    checked against the design (a replica needs a SQL database). ``read`` is the feedback as
    already read (the rules' reading cross-checked with a model's), else the rules read it.
    """
    delta = read if read is not None else parse_change(text, request.size, routing)
    updates = _form_updates(request, delta)
    engine = delta.engine or engine_of(request)
    data, refused = _data_updates(request, delta, engine, updates.get("region", primary))
    updates.update(data)
    revised, kept, rejected = _validated(request, updates)
    evidence = delta.evidence
    for name, value in kept.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        source = evidence.get(name) or _source_of(name, evidence)
        revision.applied.append(AppliedChange(field=name, value=shown, evidence=source))
    for component in delta.add_components:
        revision.add_components.add(component)
        revision.remove_components.discard(component)
        revision.applied.append(
            AppliedChange(field="add component", value=component, evidence=evidence.get(
                "add_components", text))
        )  # fmt: skip
    for component in delta.remove_components:
        revision.remove_components.add(component)
        revision.add_components.discard(component)
        revision.applied.append(
            AppliedChange(field="remove component", value=component, evidence=evidence.get(
                "remove_components", text))
        )  # fmt: skip
    revision.not_applied += [f"{reason} (from: {text})" for reason in refused + rejected]
    revision.not_applied += [f"not understood: {clause}" for clause in delta.not_understood]
    revision.feedback.append(text)
    return revised


_SOURCES = {
    "replica_regions": ("replica_regions", "replica_in_other_region"),
    "backup_copy_regions": ("backup_copy_regions", "backup_copy_other_region"),
    "read_replicas": ("read_replicas",),
    "extra_read_replicas": ("more_read_replicas",),
    "ports": ("add_ports", "remove_ports"),
}


def _source_of(name: str, evidence: dict[str, str]) -> str:
    for key in _SOURCES.get(name, ()):
        if key in evidence:
            return evidence[key]
    return ""


def revise_request(
    request: ChangeRequest,
    feedback: Sequence[str],
    engine_of: Callable[[ChangeRequest], Engine | None],
    primary_region: str,
    routing: RequestRouting,
    read: Mapping[str, DesignDelta] | None = None,
) -> tuple[ChangeRequest, Revision]:
    """Apply every round of feedback, oldest first."""
    revision = Revision()
    current = request
    for text in feedback:
        region = current.region or primary_region
        delta = (read or {}).get(text)
        current = apply_change(current, text, revision, engine_of, region, routing, delta)
    return current, revision
