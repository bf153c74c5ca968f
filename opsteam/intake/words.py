"""Plain words in: a request as people write it becomes the team's change-request form.

Deterministic and offline. Every field the parser fills carries its evidence (the words that
stated it); the fields it could not determine are listed, and the required ones are never
guessed: a request that names no environment is not assumed to be production or dev.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from opsteam.domain.errors import describe_validation_error
from opsteam.domain.models import MAX_SHORT, ChangeRequest
from opsteam.domain.registry import Registry
from opsteam.domain.request_routing import FactKind, RequestRouting
from opsteam.domain.text import mentions, names_vendor, without_markup
from opsteam.intake import extract, fields

NOT_STATED = "not stated in the request"
REQUIRED: dict[str, str] = {
    "environment": "environment (dev, staging or prod)",
    "component": "what to build or change (a server, database, network, ...)",
}
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_COMPLIANCE = {"gdpr": "gdpr", "hipaa": "hipaa", "soc 2": "soc2", "soc2": "soc2",
               "pci": "pci-dss", "pci-dss": "pci-dss", "pci dss": "pci-dss"}  # fmt: skip
_USERS = re.compile(r"\b(\d+(?:[.,]\d+)?)\s*([km])?\s*(?:concurrent\s+|daily\s+|active\s+)?"
                    r"(?:users|customers|visitors|clients|people)\b", re.IGNORECASE)  # fmt: skip
_WINDOW = re.compile(
    r"\b(\d{4}-\d{2}-\d{2})[ t](\d{1,2}:\d{2})\s*(utc|z)?\b(?:.{0,40}?\bfor\s+(\d+)\s*"
    r"(hours?|h|minutes?|mins?))?",
    re.IGNORECASE,
)
_BECAUSE = re.compile(r"\b(?:because|since|so that|so we can|as)\s+([^.;\n]{8,200})", re.I)
_TIMELINE = re.compile(
    r"\b(asap|urgent(?:ly)?|today|tomorrow|this week|next week|this sprint|next sprint|"
    r"this month|next month|(?:by|before|within) (?:(?!because|since|so that)[^.;,\n]){3,40})",
    re.IGNORECASE,
)


class Parsed(BaseModel):
    """What plain words said: the form fields found, their evidence, what is missing."""

    form: dict[str, Any]
    evidence: dict[str, str] = Field(default_factory=dict)
    missing: list[str] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)

    def questions(self) -> list[str]:
        return [f"missing: {REQUIRED.get(m, m)}" for m in self.missing]


def _title(text: str) -> str:
    first = next((s.strip() for s in _SENTENCE.split(text) if s.strip()), text.strip())
    first = re.sub(r"\s+", " ", first)
    return first if len(first) <= 120 else first[:117].rstrip() + "..."


def _environment(text: str, registry: Registry, found: dict[str, Any]) -> None:
    hit = fields.environment(text, registry)
    if hit:
        found["environment"] = hit


def _type(text: str, registry: Registry, found: dict[str, Any]) -> None:
    found["type"] = fields.change_type(text, registry)


# Form answers that are too loose in a sentence ("Component: Data" is a database; "the Data &
# Analytics division" is not).
_FORM_ONLY = frozenset({"data"})
# "the promo.example.com record", "SPF and DKIM records": DNS records by their shape.
_DNS_RECORD = re.compile(r"\b(?:[a-z0-9-]+\.)+[a-z]{2,}\s+records?\b|\b(?:spf|dkim|dmarc)\b")


# Fact kinds that are infrastructure work on their own, whatever the component.
_INFRA_FACTS: tuple[FactKind, ...] = (
    "schemas", "hosts", "exposure", "connectivity", "data_stores", "data_work", "third_parties",
)  # fmt: skip


def _component(text: str, registry: Registry, found: dict[str, Any]) -> None:
    synonyms = registry.routing.synonyms.component
    best: tuple[int, str, str] | None = None
    for component, words in synonyms.items():
        for word in (component, *words):
            if word in _FORM_ONLY:
                continue
            match = re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", text)
            # The earliest word wins; at the same place the longer one ("ingress rule", not
            # "ingress").
            if match and (best is None or (match.start(), -len(word)) < (best[0], -len(best[2]))):
                best = (match.start(), component, word)
    record = _DNS_RECORD.search(text)
    if record and (best is None or record.start() <= best[0]):  # "api.example.com record"
        best = (record.start(), "dns", record.group(0))
    if best is not None:
        found["component"] = (best[1], best[2])
    else:
        # No component word, but infrastructure facts ("glibc patch on the staging fleet",
        # "make plan_id required"): the architect decides from the facts.
        facts = registry.routing.facts
        nouns = (
            *registry.routing.things,
            *(w for kind in _INFRA_FACTS for w in facts[kind]),
        )
        named = mentions(text, nouns)
        column = fields.COLUMN.search(text)
        if named:
            found["component"] = ("other", named[0])
        elif column:
            found["component"] = ("database", column.group(0))


_NOT_SERVICE = (
    "the our a an it this that new old all every some each both any its their my your his her "
    "me us them you team we i one two three four five six seven eight nine ten more another "
    "other same with which who what when where how by of to in on for from up down off out "
    "please pls can could would should will need needs want get got make made keep run "
    "black friday monday tuesday wednesday thursday friday saturday sunday weekend night "
    "small medium large xlarge size managed self-hosted internal external public private "
    "primary replica replicas read write main temporary temp legacy first second last next "
    "p99 p95 p50 logs log data dr sso it's cross-region region regions zone zones"
).split()


def service(text: str, routing: RequestRouting, found: dict[str, Any]) -> None:
    hit = fields.service(text, fields.stopwords(routing, tuple(_NOT_SERVICE)))
    if hit:
        found["service"] = hit


def _numbers(text: str, found: dict[str, Any]) -> None:
    for name in ("rpo", "rto"):
        hit = extract.objective(text, name)
        if hit:
            found[f"{name}_minutes"] = (hit.value, hit.evidence)
    replicas = extract.replicas(text)
    if replicas:
        found["read_replicas"] = (replicas.value, replicas.evidence)
    users = _USERS.search(text)
    if users:
        value = float(users.group(1).replace(",", ""))
        value *= {"k": 1_000, "m": 1_000_000}.get((users.group(2) or "").lower(), 1)
        found["expected_users"] = (int(value), users.group(0))


def lists(text: str, routing: RequestRouting, found: dict[str, Any]) -> None:
    """Ports, CIDRs, compliance regimes and third parties the (lower-cased) text names."""
    ports = fields.ports(text)
    if ports:
        found["ports"] = ports
    cidrs = extract.cidrs(text)
    if cidrs:
        found["existing_cidrs"] = ([str(c.value) for c in cidrs], cidrs[0].evidence)
    compliance = sorted({v for k, v in _COMPLIANCE.items() if mentions(text, (k,))})
    if compliance:
        found["compliance"] = (compliance, ", ".join(compliance))
    vendors = [
        w for w in mentions(text, routing.facts["third_parties"])
        if w not in _GENERIC_THIRD_PARTY
    ]  # fmt: skip
    if vendors:
        found["integrations"] = (vendors, ", ".join(vendors))


# A third party by name: "our logistics partner FastFreight", "new vendor Bluefin", or a
# CamelCase brand ("ShipBob") in a request about a third party.
_NAMED_PARTY = re.compile(
    r"\b(?:partner|vendor|provider|supplier|carrier|saas)\s+([A-Z][\w-]+)"
    r"|\b([A-Z][a-z]+[A-Z][A-Za-z]+)\b"
)
# Third parties by the shape of the sentence, whatever the vocabulary: "Globex's
# datacenter", "FedEx's Ship API", "we signed with Honeycomb", "trialling Datadog", "start
# using Checkly", "out to api.honeycomb.io".
_THIRD_PARTY_SHAPE = re.compile(
    r"\b([A-Z][\w-]+)'s\s+(?:[A-Z][\w-]*\s+){0,2}(?:datacenter|data center|network|side|vpc|api"
    r"|servers?|endpoint|systems?|sftp|office|cloud)\b"
    r"|\b(?:start(?:ing)?|begin(?:ning)?)\s+(?:using|calling)\s+([A-Z][\w-]+)"
    r"|\b(?:adopt(?:ing)?|onboard(?:ing)?)\s+([A-Z][\w-]+)"
    r"|\b(?:signed|signing|contract|partnered|partnering)\s+(?:up\s+)?with\s+([A-Z][\w-]+)"
    r"|\btrial(?:l?ing)?\s+([A-Z][\w-]+)"
    r"|\bapi\.([a-z0-9-]+)\.(?:com|io|net|co|dev|app)\b"
)


def named_parties(text: str, routing: RequestRouting, found: dict[str, Any]) -> None:
    """Third parties the original-case text names that the roster's vocabulary cannot know."""
    listed, evidence = found.pop("integrations", ([], ""))
    known = [w for w in listed if names_vendor(w, text)]
    if known:
        found["integrations"] = (known, evidence)
    technology = _technology_words(routing)
    context = bool(mentions(text.lower(), routing.facts["third_parties"]))
    matches = [
        *_THIRD_PARTY_SHAPE.finditer(text),
        *(_NAMED_PARTY.finditer(text) if context else ()),
    ]
    for match in matches:
        name = next(g for g in match.groups() if g).lower()
        ours = name in _GENERIC_THIRD_PARTY or name in _OURS or name in technology
        if name not in known and not ours:
            known.append(name)
            found["integrations"] = (known, match.group(0))


def _technology_words(routing: RequestRouting) -> frozenset[str]:
    """Component words ("MySQL", "PostgreSQL"): CamelCase like a brand, but a technology."""
    return frozenset(w for words in routing.synonyms.component.values() for w in words)


# Names that look like a third party's by shape but are ours or nobody's.
_OURS = frozenset({"example", "our", "we", "the", "internal", "acme", "it", "their", "its"})


_GENERIC_THIRD_PARTY = frozenset(
    "third-party third party vendor vendors partner partners saas external webhook webhooks "
    "api key integration integrate supplier carrier bank".split()
)


def technology(text: str, found: dict[str, Any]) -> None:
    """Engine and version, size and region."""
    engine = extract.engine(text)
    if engine:
        found["engine"] = (engine.value, engine.evidence)
    version = extract.engine_version(text)
    if version:
        found["engine_version"] = (version.value, version.evidence)
    size = extract.size(text)
    if size and not re.search(r"\blarge (?:number|amount|volume)\b", text, re.I):
        found["size"] = (size.value, size.evidence)
    regions = extract.regions(text)
    if regions:
        found["region"] = (regions[0].value, regions[0].evidence)


def _window(text: str, found: dict[str, Any]) -> None:
    match = _WINDOW.search(text)
    if match is None:
        return
    try:
        start = datetime.fromisoformat(f"{match.group(1)}T{match.group(2)}").replace(tzinfo=UTC)
    except ValueError:
        return
    amount = int(match.group(4) or 2)
    minutes = amount * 60 if (match.group(5) or "h").lower().startswith("h") else amount
    found["maintenance_window"] = (
        {"start": start.isoformat(), "duration_minutes": max(15, minutes)},
        match.group(0),
    )


def _prose(text: str, found: dict[str, Any]) -> None:
    because = _BECAUSE.search(text)
    if because:
        found["justification"] = (because.group(1).strip(), because.group(0))
    when = _TIMELINE.search(text)
    if when:
        found["timeline"] = (when.group(1)[:MAX_SHORT], when.group(0))


def parse_words(text: str, registry: Registry, requester: str) -> Parsed:
    """The form a plain-words request fills, with evidence; required gaps are listed."""
    lowered = without_markup(text).lower()
    found: dict[str, Any] = {}
    _environment(lowered, registry, found)
    _type(lowered, registry, found)
    _component(lowered, registry, found)
    service(text, registry.routing, found)
    _numbers(lowered, found)
    lists(lowered, registry.routing, found)
    named_parties(without_markup(text), registry.routing, found)
    technology(text, found)
    _window(text, found)
    _prose(text, found)
    form: dict[str, Any] = {
        "request": _title(text),
        "description": text.strip(),
        "justification": NOT_STATED,
        "timeline": NOT_STATED,
        "impact": NOT_STATED,
        "requester": requester,
    }
    evidence: dict[str, str] = {}
    for name, (value, words) in found.items():
        form[name] = value
        evidence[name] = words
    missing = [name for name in REQUIRED if name not in found]
    return Parsed(form=form, evidence=evidence, missing=missing)


def to_request(parsed: Parsed) -> tuple[ChangeRequest | None, list[str]]:
    """The validated request, or the problems (missing fields first) that prevent one."""
    problems = parsed.questions()
    if problems:
        return None, problems
    try:
        return ChangeRequest.model_validate(parsed.form), []
    except ValidationError as exc:
        return None, describe_validation_error(exc)
