"""A person's requested change ("add a read replica in a second region") as a typed delta.

Deterministic and offline: the text is split into clauses, every clause goes through the
shared extractors, and a clause no rule recognises is kept in ``not_understood`` so it is
shown back to the person instead of being dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from opsteam.domain.decisions import DesignComponent, DesignDelta
from opsteam.domain.models import Size
from opsteam.domain.request_routing import RequestRouting
from opsteam.domain.text import mentions
from opsteam.intake import extract

_VERBS = r"add|use|remove|drop|make|move|switch|set|open|close|copy|enable|disable|keep|run|put"
_CLAUSES = re.compile(
    r"(?:(?<!\d)\.(?!\d)|[;\n]+|,\s*(?:and\s+)?|\s+and\s+(?=(?:" + _VERBS + r")\b))"
)
_SECOND_REGION = ("second region", "another region", "other region", "different region",
                  "cross-region", "cross region", "secondary region", "dr region")  # fmt: skip
_INSTEAD = re.compile(r"\b(?:instead of|rather than|not|from)\s+([a-z]{2}-[a-z]+-\d)\b")
_REMOVE = re.compile(r"\b(remove|drop|delete|without|no longer need|get rid of)\b", re.I)
_ADD = re.compile(r"\b(add|include|with|also need|plus|introduce|create)\b", re.I)
_HA_ON = ("multi-az", "multi az", "high availability", "highly available", "standby", "ha")
_HA_OFF = ("single-az", "single az", "no ha", "without ha", "no standby", "no multi-az")
_BIGGER = ("bigger", "larger", "scale up", "more capacity", "upsize")
_SMALLER = ("smaller", "scale down", "downsize", "cheaper", "less capacity")
_SIZES = tuple(Size)
Updates = dict[str, Any]


def clauses(text: str) -> list[str]:
    return [c.strip(" ,") for c in _CLAUSES.split(text) if c and c.strip(" ,")]


def _regions(clause: str, updates: Updates) -> bool:
    found = extract.regions(clause)
    lowered = clause.lower()
    replica = bool(re.search(r"\breplicas?\b", lowered))
    backup = bool(re.search(r"\b(backups?|snapshots?)\b", lowered))
    other = bool(mentions(lowered, _SECOND_REGION))
    if not found and not (other and (replica or backup)):
        return False
    old = {m.group(1) for m in _INSTEAD.finditer(lowered)}
    named = [f.value for f in found if f.value not in old]
    if replica:
        if named:
            updates["replica_regions"] = named
        else:
            updates["replica_in_other_region"] = 1
    elif backup:
        if named:
            updates["backup_copy_regions"] = named
        else:
            updates["backup_copy_other_region"] = True
    elif named:
        updates["region"] = named[0]
    else:
        return False
    return True


def _replicas(clause: str, updates: Updates) -> bool:
    if "replica_regions" in updates or "replica_in_other_region" in updates:
        return True  # a cross-region replica, handled with the regions
    found = extract.replicas(clause)
    if found is None:
        return False
    relative = re.search(r"\b(add|another|more|additional|extra)\b", clause, re.I)
    updates["more_read_replicas" if relative else "read_replicas"] = found.value
    return True


def _engine(clause: str, updates: Updates) -> bool:
    found = extract.engine(clause)
    version = extract.engine_version(clause)
    if found is None and version is None:
        return False
    wants_engine = re.search(r"\b(use|switch|move|migrate|instead|rather|change)\b", clause, re.I)
    if found is not None and wants_engine:
        updates["engine"] = found.value
    if version is not None:
        updates["engine_version"] = version.value
    return "engine" in updates or "engine_version" in updates


def _size(clause: str, updates: Updates) -> bool:
    lowered = clause.lower()
    found = extract.size(clause)
    if found is not None and not re.search(r"\blarge (?:number|amount)\b", lowered):
        updates["size"] = found.value
        return True
    if mentions(lowered, _BIGGER):
        updates["size_step"] = 1
        return True
    if mentions(lowered, _SMALLER):
        updates["size_step"] = -1
        return True
    return False


def _availability(clause: str, updates: Updates) -> bool:
    lowered = clause.lower()
    if mentions(lowered, _HA_OFF):
        updates["multi_az"] = False
        return True
    if mentions(lowered, _HA_ON):
        updates["multi_az"] = True
        return True
    return False


def _objectives(clause: str, updates: Updates) -> bool:
    hit = False
    for name in ("rpo", "rto"):
        found = extract.objective(clause, name)
        if found is not None:
            updates[f"{name}_minutes"] = found.value
            hit = True
    return hit


def _ports(clause: str, updates: Updates) -> bool:
    found = [f.value for f in extract.ports(clause)]
    if not found:
        return False
    key = (
        "remove_ports"
        if re.search(r"\b(close|remove|drop|block|deny)\b", clause, re.I)
        else ("add_ports")
    )
    updates[key] = found
    return True


def _cidrs(clause: str, updates: Updates) -> bool:
    found = [str(f.value) for f in extract.cidrs(clause)]
    if found:
        updates["existing_cidrs"] = found
    return bool(found)


def _components(clause: str, updates: Updates, routing: RequestRouting) -> bool:
    lowered = clause.lower()
    named: list[DesignComponent] = [
        component
        for component, words in routing.components.items()
        if mentions(lowered, (*words, *routing.generic_components.get(component, ())))
    ]
    if not named:
        return False
    if _REMOVE.search(lowered):
        updates["remove_components"] = named
    elif _ADD.search(lowered):
        updates["add_components"] = named
    else:
        return False
    return True


_RULES: tuple[Callable[[str, Updates], bool], ...] = (
    _regions,
    _replicas,
    _objectives,
    _availability,
    _ports,
    _cidrs,
    _engine,
    _size,
)


def parse_change(text: str, current_size: Size, routing: RequestRouting) -> DesignDelta:
    """Every clause of ``text`` either sets fields of the delta or is reported back."""
    merged: Updates = {}
    evidence: dict[str, str] = {}
    not_understood: list[str] = []
    for clause in clauses(text):
        updates: Updates = {}
        for rule in _RULES:
            rule(clause, updates)
        _components(clause, updates, routing)
        if not updates:
            not_understood.append(clause)
            continue
        for key, value in updates.items():
            evidence[key] = clause
            if isinstance(value, list) and isinstance(merged.get(key), list):
                merged[key] = merged[key] + [v for v in value if v not in merged[key]]
            else:
                merged[key] = value
    step = merged.pop("size_step", 0)
    if step and "size" not in merged:
        index = min(max(_SIZES.index(current_size) + step, 0), len(_SIZES) - 1)
        merged["size"] = _SIZES[index]
        evidence["size"] = evidence.pop("size_step")
    evidence.pop("size_step", None)
    return DesignDelta(**merged, evidence=evidence, not_understood=not_understood)
