"""Incident triage from evidence: symptom classes, the likely owner, the severity, and why.

Pure and explainable. Every source (each alert, the report, the opener's component, notes
and diagnoses) votes for the owners whose objects it names or whose kind of fault it shows;
a vote counts more when the object is in the alert's name or labels than in prose, when the
alert fired first, and when a person wrote a diagnosis. Demand-side alerts (traffic drops,
consumer lag) are knock-on effects whenever anything else alerts, so a data store that
merely lost traffic never takes the incident from the service that failed upstream.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from opsteam.agents.sre import impact
from opsteam.agents.sre.evidence import Source, clauses, sources
from opsteam.agents.sre.signals import (
    APP_FAULT,
    ARCHITECTURE,
    CAPACITY_LIMIT,
    CODE_CHANGE,
    DEMAND_SIDE,
    DEMAND_SURGE,
    NETWORK_PATH,
    NO_USER_IMPACT,
    PROBE,
    RECENT_CHANGE,
    REFUSED,
    SYMPTOMS,
    VERSIONED,
    Vocabulary,
    app_exceptions,
    found,
    symptoms_in,
    vocabulary,
)
from opsteam.domain.alerts import Alert
from opsteam.domain.incidents import IncidentReport
from opsteam.domain.models import Component, Environment
from opsteam.domain.registry import Registry, RoleSlug
from opsteam.domain.severity import Severity
from opsteam.domain.triage import (
    OWNING_TEAM,
    Assessment,
    Candidate,
    EvidenceNote,
    OwnerKey,
    Symptom,
    SymptomClass,
)

COMMANDER: RoleSlug = "site-reliability-engineer"
ARCHITECT: RoleSlug = "infrastructure-architect"
MIN_SCORE = 0.3  # below this nothing points anywhere and the commander keeps the incident
FIRST_ALERT_BONUS = 1.5
KNOCK_ON_WEIGHT = 0.25
_ENV_FLOOR = {Environment.STAGING: Severity.P3, Environment.DEV: Severity.P4}
# Objects named next to spend or a planning limit are what costs or what is limited, not what
# broke; a probe failing while users are fine says more about the probe than its target.
DISCOUNT = 0.3
_PLACES = (("name", 1.0), ("label keys", 1.0), ("label values", 0.9), ("text", 0.6))
_COMPONENT_OWNERS: dict[str, RoleSlug] = {
    Component.SERVER: "systems-administrator",
    Component.KUBERNETES: "systems-administrator",
    Component.NETWORK: "network-engineer",
    Component.DNS: "network-engineer",
    Component.FIREWALL: "network-engineer",
    Component.LOAD_BALANCER: "network-engineer",
    Component.VPN: "network-engineer",
    Component.DATABASE: "database-administrator",
    Component.CACHE: "database-administrator",
    Component.STORAGE: "database-administrator",
    Component.MONITORING: COMMANDER,
}
# Resources every object has: named next to a more specific object, they are that object's.
_RESOURCE_WORDS = {"disk", "filesystem", "inode", "inodes", "device", "memory", "cpu", "swap"}
_SPECIALISTS: tuple[RoleSlug, ...] = (
    "systems-administrator",
    "network-engineer",
    "database-administrator",
)
# Who to bring in at the component-owner level when no object points to a specialist.
_BY_SYMPTOM: dict[SymptomClass, RoleSlug] = {
    SymptomClass.DATA_STORE: "database-administrator",
    SymptomClass.CRASH: "systems-administrator",
    SymptomClass.SATURATION: "systems-administrator",
    SymptomClass.CAPACITY: "systems-administrator",
    SymptomClass.COST: "systems-administrator",
}


@dataclass(frozen=True)
class Vote:
    owner: OwnerKey
    strength: float  # before the source's own weight
    why: str


def _causal_text(text: str) -> str:
    """Prose without sentences about demand: those describe the clients, not what they name.

    Once a surge of demand is reported, "X is busy" sentences are about demand as well.
    """
    surge = bool(DEMAND_SURGE.search(text))
    kept = []
    for clause in clauses(text):
        busy = surge and _busy_not_failing(symptoms_in(clause))
        if not (busy or DEMAND_SIDE.search(clause) or DEMAND_SURGE.search(clause)):
            kept.append(clause)
    return " . ".join(kept)


def _busy_not_failing(found_classes: Sequence[SymptomClass]) -> bool:
    failing = {SymptomClass.ERRORS, SymptomClass.AVAILABILITY, SymptomClass.CRASH}
    return SymptomClass.SATURATION in found_classes and not set(found_classes) & failing


_QUALIFIED_MEMBER = re.compile(r"([a-z0-9][a-z0-9_-]*) (nodes?|hosts?|instances?)\b")


def _members_of_objects(text: str, vocab: Vocabulary) -> str:
    """ "rabbitmq node" is RabbitMQ's member, not a host matter: drop the member noun."""

    def owned(match: re.Match[str]) -> str:
        qualifier = vocab.owners_in(match.group(1))
        members = vocab.owners_in(match.group(2))
        return match.group(1) if qualifier and not set(qualifier) & set(members) else match.group(0)

    return _QUALIFIED_MEMBER.sub(owned, text)


def _named_in_prose(text: str, vocab: Vocabulary) -> dict[RoleSlug, list[str]]:
    """Objects named in prose; a bare resource defers to a more specific object named too.

    "Disk full. The postgres primary cannot write": the disk is the database's.
    """
    hits = vocab.owners_in(_members_of_objects(text, vocab))
    specific = {r: w for r, w in hits.items() if not set(w) <= _RESOURCE_WORDS}
    return specific or hits


def _object_votes(source: Source, vocab: Vocabulary) -> list[Vote]:
    """Owners whose objects the source names, strongest where the name is most specific."""
    texts = (source.name, source.keys, source.values)
    best: dict[RoleSlug, tuple[float, str]] = {}
    words: dict[RoleSlug, list[str]] = defaultdict(list)
    named = [vocab.owners_in(text) for text in texts]
    named.append(_named_in_prose(_causal_text(source.text), vocab))
    for (place, factor), found_in_place in zip(_PLACES, named, strict=True):
        for role, hits in found_in_place.items():
            words[role] += [w for w in hits if w not in words[role]]
            if factor > best.get(role, (0.0, ""))[0]:
                best[role] = (factor, place)
    if source.kind == "component":
        owner = _COMPONENT_OWNERS.get(source.subject)
        if owner is not None:
            best[owner], words[owner] = (1.0, "value"), [source.subject]
    return [
        Vote(
            role,
            min(1.0, factor + 0.15 * (len(words[role]) - 1)),
            f"{source.label}: {', '.join(words[role][:4])} in its {place}",
        )
        for role, (factor, place) in best.items()
    ]


def _fault_votes(source: Source, vocab: Vocabulary) -> list[Vote]:
    """Kinds of fault that point to an owner whatever object is named."""
    votes: list[Vote] = []
    markers = found(APP_FAULT, source.all_words) + app_exceptions(source.all_words)
    change = found(CODE_CHANGE, source.text)
    if markers or change:
        versioned = any(VERSIONED.search(c) for c in change)
        base = 1.0 if markers or versioned else 0.6
        strength = min(1.0, base + 0.15 * (len(markers) + len(change) - 1))
        shown = ", ".join([*markers, *change][:3])
        votes.append(Vote(OWNING_TEAM, strength, f"{source.label}: application fault ({shown})"))
    for phrase in found(RECENT_CHANGE, source.text):
        for role, words in vocab.owners_in(phrase).items():
            why = f"{source.label}: changed just before ({', '.join(words[:3])})"
            votes.append(Vote(role, 0.8, why))
    for clause in clauses(source.text):
        path, refused = found(NETWORK_PATH, clause), found(REFUSED, clause)
        if not path and not refused:
            continue
        stores = vocab.owners_in(clause).get("database-administrator")
        if stores:
            why = f"{source.label}: cannot reach the data store ({', '.join(stores[:2])})"
            votes.append(Vote("database-administrator", 0.8, why))
        else:
            why = f"{source.label}: network path failure ({', '.join(path or refused)})"
            votes.append(Vote("network-engineer", 0.8 if path else 0.4, why))
    decision = found(ARCHITECTURE, source.text)
    if decision:
        votes.append(Vote(ARCHITECT, 2.0, f"{source.label}: {', '.join(decision)}"))
    return votes


def _overriding(source: Source, users_fine: bool) -> Vote | None:
    """A reading of the whole source that outweighs the objects it names."""
    words = source.all_words
    if SYMPTOMS[SymptomClass.COST].search(words):
        return Vote(ARCHITECT, 1.0, f"{source.label}: about cloud spend")
    limit = found(CAPACITY_LIMIT, words)
    if limit:
        return Vote(ARCHITECT, 1.0, f"{source.label}: a planned capacity limit ({limit[0]})")
    if users_fine and source.kind == "alert" and PROBE.search(f"{source.name} {source.values}"):
        why = f"{source.label}: a synthetic check fails while the report says users are fine"
        return Vote(COMMANDER, 1.0, why)
    return None


def _votes(source: Source, vocab: Vocabulary, users_fine: bool) -> list[Vote]:
    votes = _object_votes(source, vocab) + _fault_votes(source, vocab)
    overriding = _overriding(source, users_fine)
    if overriding is not None:
        votes = [replace(v, strength=v.strength * DISCOUNT) for v in votes]
        votes.append(overriding)
    return votes


def _demand_side(source: Source) -> bool:
    return source.kind == "alert" and bool(DEMAND_SIDE.search(source.all_words))


def _saturated_only(source: Source) -> bool:
    """An alert that a shared component is busy, without failing itself."""
    return source.kind == "alert" and _busy_not_failing(symptoms_in(source.all_words))


def _knock_on(srcs: Sequence[Source]) -> list[bool]:
    """Demand-side alerts are effects as soon as any other source shows another symptom.

    Less demand (traffic drops, consumer lag) and more demand (a surge of queries someone
    reported) both start at the clients: the busy or idle component only shows it.
    """
    surge = any(DEMAND_SURGE.search(s.text) for s in srcs)
    flags = []
    for index, source in enumerate(srcs):
        others = [s for i, s in enumerate(srcs) if i != index and s.kind != "component"]
        demand = _demand_side(source) or (surge and _saturated_only(source))
        flags.append(
            demand and any(symptoms_in(o.all_words) and not _demand_side(o) for o in others)
        )
    return flags


def _first_alert(srcs: Sequence[Source]) -> int | None:
    timed = [(s.starts_at, i) for i, s in enumerate(srcs) if s.kind == "alert" and s.firing]
    dated = [(t, i) for t, i in timed if t is not None]
    return min(dated)[1] if len(dated) > 1 else None


@dataclass(frozen=True)
class _Tally:
    candidates: tuple[Candidate, ...]
    by_source: tuple[tuple[Vote, ...], ...]


def _tally(
    srcs: Sequence[Source], knock: Sequence[bool], vocab: Vocabulary, users_fine: bool
) -> _Tally:
    first = _first_alert(srcs)
    scores: dict[OwnerKey, float] = defaultdict(float)
    evidence: dict[OwnerKey, list[str]] = defaultdict(list)
    by_source = []
    for index, source in enumerate(srcs):
        votes = tuple(_votes(source, vocab, users_fine))
        by_source.append(votes)
        factor = source.weight
        note = ""
        if index == first:
            factor, note = factor * FIRST_ALERT_BONUS, " (first alert to fire)"
        if knock[index]:
            factor, note = factor * KNOCK_ON_WEIGHT, " (knock-on: demand changed upstream)"
        for vote in votes:
            scores[vote.owner] += vote.strength * factor
            evidence[vote.owner].append(vote.why + note)
    ranked = sorted(scores, key=lambda o: -scores[o])
    candidates = tuple(
        Candidate(owner=o, score=round(scores[o], 3), evidence=tuple(evidence[o])) for o in ranked
    )
    return _Tally(candidates, tuple(by_source))


def _symptoms(srcs: Sequence[Source], knock: Sequence[bool]) -> tuple[Symptom, ...]:
    seen: dict[tuple[SymptomClass, str], Symptom] = {}
    for source, is_knock_on in zip(srcs, knock, strict=True):
        if source.kind == "component":
            continue
        for symptom in symptoms_in(source.all_words):
            key = (symptom, source.subject)
            if key not in seen:
                seen[key] = Symptom(
                    symptom=symptom,
                    subject=source.subject,
                    source=source.label,
                    knock_on=is_knock_on,
                )
    return tuple(seen.values())


def _owner(candidates: Sequence[Candidate], registry: Registry) -> tuple[OwnerKey, str]:
    top = candidates[0] if candidates else None
    if top is None or top.score < MIN_SCORE:
        return COMMANDER, "no evidence names an owner; the commander keeps it"
    if top.owner == OWNING_TEAM:
        return OWNING_TEAM, "the fault is in application code, outside the team's scope"
    return top.owner, f"the evidence points to the {registry.role(top.owner).name}"


def _role_among(owner: OwnerKey, roles: Sequence[RoleSlug]) -> RoleSlug | None:
    return next((r for r in roles if r == owner), None)


def _specialist(
    owner: OwnerKey, candidates: Sequence[Candidate], symptoms: Sequence[Symptom]
) -> RoleSlug:
    own = _role_among(owner, (*_SPECIALISTS, "automation-engineer"))
    if own is not None:
        return own
    for candidate in candidates:
        scored = _role_among(candidate.owner, _SPECIALISTS)
        if scored is not None:
            return scored
    for symptom in symptoms:
        if not symptom.knock_on and symptom.symptom in _BY_SYMPTOM:
            return _BY_SYMPTOM[symptom.symptom]
    return "network-engineer"  # errors and latency between services: the path first


def assess(
    report: IncidentReport,
    registry: Registry,
    alerts: Sequence[Alert] = (),
    notes: Sequence[EvidenceNote] = (),
) -> Assessment:
    """Read every alert, the report and every note; decide owner and severity with evidence."""
    routing = registry.incident_routing
    owns = tuple((role, words) for role, words in (routing.owns if routing else {}).items())
    vocab = vocabulary(owns)
    srcs = sources(report, alerts, notes)
    knock = _knock_on(srcs)
    texts = [s.raw_text for s in srcs if s.kind in ("report", "note", "diagnosis")]
    users_fine = any(NO_USER_IMPACT.search(text) for text in texts)
    tally = _tally(srcs, knock, vocab, users_fine)
    owner, reason = _owner(tally.candidates, registry)
    symptoms = _symptoms(srcs, knock)
    monitoring = [_about_monitoring(votes) for votes in tally.by_source]
    verdict = impact.verdict(srcs, monitoring, texts, report.service)
    severity, severity_reason = _final_severity(report, verdict)
    return Assessment(
        symptoms=symptoms,
        owner=owner,
        owner_reason=reason,
        candidates=tally.candidates,
        specialist=_specialist(owner, tally.candidates, symptoms),
        severity=severity,
        severity_reason=severity_reason,
        impacts=verdict.impacts,
    )


def _final_severity(report: IncidentReport, found: impact.Verdict) -> tuple[Severity, str]:
    """The reporter's own call wins; outside production automatic levels are capped."""
    if report.severity is not None:
        return report.severity, f"{report.severity.value}: set by the reporter"
    floor = _ENV_FLOOR.get(report.environment)
    if floor is not None and found.severity.rank < floor.rank:
        why = found.reason.split(": ", 1)[1]
        return floor, f"{floor.value}: {why}; lowered to {floor.value} outside production"
    return found.severity, found.reason


def _about_monitoring(votes: Sequence[Vote]) -> bool:
    """A source whose strongest vote (ties included) is the commander's monitoring objects."""
    ours = [v.strength for v in votes if v.owner == COMMANDER]
    return bool(ours) and max(ours) >= max(v.strength for v in votes)
