"""From a request (form or words) to its typed intent: components and facts with evidence.

Pure: the roster's routing data says which words mean which fact; the evidence of a fact is
the sentence that stated it, so a person sees why a specialist or a checkpoint was chosen.
A fact the text explicitly denies ("internal only", "no customer impact") is left out, but
only for the few fact kinds where a denial is unambiguous: recall comes first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from opsteam.domain.intent import Fact, Intent
from opsteam.domain.models import ChangeRequest, Component, Engine
from opsteam.domain.registry import Registry
from opsteam.domain.request_routing import DesignComponent, FactKind
from opsteam.domain.text import first_mention, mentions, without_markup, without_reasons
from opsteam.intake.fields import COLUMN

FROM_FORM: dict[Component, tuple[DesignComponent, ...]] = {
    Component.SERVER: ("server",),
    Component.NETWORK: ("firewall",),
    Component.DATABASE: ("database",),
    Component.CACHE: ("cache",),
    Component.STORAGE: ("object-storage",),
    Component.KUBERNETES: ("web", "kubernetes"),
    Component.DNS: ("dns",),
    Component.LOAD_BALANCER: ("load-balancer",),
    Component.FIREWALL: ("firewall",),
    Component.VPN: ("vpn",),
    Component.MONITORING: ("monitoring",),
    Component.OTHER: (),
}
STATEFUL: frozenset[DesignComponent] = frozenset({"database", "cache", "object-storage"})
ORDER: tuple[DesignComponent, ...] = (
    "web", "kubernetes", "database", "cache", "object-storage", "server", "load-balancer",
    "dns", "vpn", "firewall", "monitoring",
)  # fmt: skip
# Denials that take a fact back ("internal only" is not exposure to the internet).
_DENIALS: dict[FactKind, tuple[str, ...]] = {
    "customers": ("no customer", "not customer", "no user impact", "no users", "internal only",
                  "internal tool", "not user-facing", "no customer impact", "internal use"),
    "exposure": ("internal only", "not public", "no public", "private only", "not exposed",
                 "never public", "no internet"),
}  # fmt: skip
# Checkpoint trigger words of the roster feed these facts too.
_CHECKPOINT_FACTS: dict[str, FactKind] = {
    "architecture-change": "topology",
    "external-integration": "third_parties",
    "customer-schema-change": "schemas",
}
_SENTENCES = re.compile(r"(?<=[.!?;])\s+|\n+")


def _sentences(request: ChangeRequest) -> list[str]:
    texts = [request.request, request.description, request.justification, request.impact]
    texts += [request.component_words or "", *request.integrations]
    return [s.strip() for t in texts for s in _SENTENCES.split(t) if s.strip()]


def _evidence(sentences: Sequence[str], word: str) -> str:
    for sentence in sentences:
        if mentions(sentence.lower(), (word,)):
            return sentence if len(sentence) <= 160 else sentence[:157] + "..."
    return word


def _denied(kind: FactKind, text: str) -> bool:
    return bool(mentions(text, _DENIALS.get(kind, ())))


def components_for(request: ChangeRequest, registry: Registry) -> list[DesignComponent]:
    """The form's component first; the words add companions (a web service's DNS, ...).

    A data store named only as context ("a cache in front of the orders Postgres") is not
    new work, so stateful companions are added only to requests about stateless things.
    """
    routing = registry.routing
    found: set[DesignComponent] = set(FROM_FORM[request.component])
    group = routing.synonyms.component_groups.get((request.component_words or "").lower(), ())
    for member in group:
        found.update(FROM_FORM[Component(member)])
    ask = " ".join([request.request, request.description]).lower()
    stateful_form = bool(found & STATEFUL)
    for component, words in routing.components.items():
        if stateful_form and component in STATEFUL:
            continue
        if mentions(ask, words):
            found.add(component)
    if request.engine is Engine.REDIS:
        found.add("cache")
    elif request.engine is not None:
        found.add("database")
    if not found & STATEFUL and mentions(ask, routing.facts["schemas"]):
        found.add("database")  # tables, columns and indexes live in a database
    if "web" in found:
        found.add("kubernetes")
    return [c for c in ORDER if c in found]


_MOVE = re.compile(
    r"(?<!schema )(?<!database )(?<!db )(?<!data )"
    r"\b(?:migrat\w*|mov\w*|switch\w*|replac\w*|consolidat\w*|swap\w*)\b[^.;\n]{0,80}?"
    r"\b(?:to|onto|into|off|with|from|for)\b",
    re.IGNORECASE,
)


def _without_roles(text: str, registry: Registry) -> str:
    """Role names and slugs in a request are routing instructions, never facts about it."""
    for role in registry.roles:
        for name in (role.slug, role.name.lower(), role.id.lower()):
            text = text.replace(name, " ")
    return text


_PLACES = (
    "database", "db", "cluster", "clusters", "region", "postgres", "postgresql", "mysql",
    "redis", "memcached", "eks", "kubernetes", "k8s", "kubeadm", "aws", "gcp", "azure",
    "cloud", "platform", "datacenter", "data center", "on-prem", "vpc", "network",
    "account", "cdn", "dns provider", "route53", "elasticache", "rds", "aurora", "vms",
)  # fmt: skip
_REGION_NAME = re.compile(r"\b[a-z]{2}-[a-z]+-\d\b")


# Traffic pointed somewhere else without a platform change ("cut the reads over to the new
# replica", "repoint the app at the standby").
_CUTOVER = re.compile(
    r"\b(?:cut\w*\s+(?:[\w'-]+\s+){0,5}?over|cutover|re-?point\w*|fail\w*\s+over)\b"
    r"[^.;\n]{0,60}?\b(?:to|at|onto)\b",
    re.IGNORECASE,
)


def _names_a_place(said: str, move: re.Match[str]) -> bool:
    """The move, or the words just after it, name a store, platform or place ("migrate off
    our kubeadm clusters onto EKS")."""
    window = re.split(r"[.;\n]", said[move.start() : move.end() + 60])[0].lower()
    return bool(mentions(window, _PLACES) or _REGION_NAME.search(window))


# "a new pricing service", "a new EKS cluster", "a new eu region": new pieces of the design.
_NEW_PIECE = re.compile(
    r"\bnew\s+(?:[\w-]+\s+){0,2}?(?:service|cluster|platform|region|vpc|environment|database)s?\b",
    re.IGNORECASE,
)
# "the Data & Analytics division", "the Payments division" (not "our division", "the
# division lead"): work for or with another division, named as such.
_DIVISION = re.compile(r"\b([\w&]+)\s+division\b(?!\s+lead)", re.IGNORECASE)
MAX_SHAPES = 3
_NOT_ANOTHER = frozenset({"our", "this", "my", "your", "the", "a", "its", "same", "whole"})


def _pattern_facts(request: ChangeRequest, sentences: Sequence[str]) -> list[Fact]:
    """Facts said by a phrase's shape rather than a word of the roster's vocabulary."""
    said = without_reasons("\n".join([request.request, request.description]))
    facts = [
        Fact(kind="topology", detail=m.group(0).lower(), evidence=_evidence(sentences, "new"))
        for m in _NEW_PIECE.finditer(said)
    ]
    facts += [
        Fact(
            kind="schemas", detail=f"column {m.group(0)}", evidence=_evidence(sentences, m.group(0))
        )
        for m in COLUMN.finditer(said.lower())
    ][:MAX_SHAPES]
    facts += [
        Fact(
            kind="other_divisions",
            detail=m.group(0).lower(),
            evidence=_evidence(sentences, "division"),
        )
        for m in _DIVISION.finditer(request.text)
        if m.group(1).lower() not in _NOT_ANOTHER
    ]
    return facts


def _move_facts(request: ChangeRequest, sentences: Sequence[str]) -> list[Fact]:
    """Moving or migrating a store, a platform or a place changes traffic and architecture
    ("migrate the catalog database to Postgres"); switching a setting does not."""
    said = without_reasons("\n".join([request.request, request.description]))
    match = next((m for m in _MOVE.finditer(said) if _names_a_place(said, m)), None)
    if match is None:
        cutover = _CUTOVER.search(said)
        if cutover is None:
            return []
        evidence = _evidence(sentences, cutover.group(0).split()[0].lower())
        return [Fact(kind="connectivity", detail="traffic is cut over", evidence=evidence)]
    evidence = _evidence(sentences, match.group(0).split()[0].lower())
    return [
        Fact(kind="topology", detail="a migration between platforms", evidence=evidence),
        Fact(kind="connectivity", detail="traffic moves to the new place", evidence=evidence),
    ]


def _word_facts(request: ChangeRequest, registry: Registry) -> list[Fact]:
    text = _without_roles(without_markup(request.text), registry)
    sentences = _sentences(request)
    asked = _without_roles(
        without_reasons(
            without_markup(
                "\n".join(
                    [
                        request.request,
                        request.description,
                        request.component_words or "",
                        *request.integrations,
                    ]
                )
            )
        ).lower(),
        registry,
    )
    words: dict[FactKind, tuple[str, ...]] = dict(registry.routing.facts)
    for spec in registry.checkpoints:
        kind = _CHECKPOINT_FACTS.get(spec.kind)
        if kind is not None:
            words[kind] = (*words[kind], *spec.triggers)
    facts: list[Fact] = []
    for kind, vocabulary in words.items():
        if _denied(kind, text):
            continue
        for word in dict.fromkeys(mentions(text, vocabulary)):
            context = not mentions(asked, (word,))
            evidence = _evidence(sentences, word)
            facts.append(Fact(kind=kind, detail=word, evidence=evidence, context=context))
    return facts


def _form_facts(request: ChangeRequest) -> list[Fact]:
    facts = [
        Fact(kind="exposure", detail=f"port {p}", evidence=f"ports: {p}") for p in request.ports
    ]
    facts += [
        Fact(kind="connectivity", detail=f"existing range {c}", evidence=f"existing_cidrs: {c}")
        for c in request.existing_cidrs
    ]
    facts += [
        Fact(kind="third_parties", detail=name, evidence=f"integrations: {name}")
        for name in request.integrations
    ]
    if request.region:
        facts.append(Fact(kind="placement", detail=request.region, evidence="region"))
    facts += [
        Fact(kind="topology", detail=f"replica in {r}", evidence="replica_regions")
        for r in request.replica_regions
    ]
    return facts


def _requester_facts(request: ChangeRequest, registry: Registry) -> list[Fact]:
    """A form filed by another division ("requester: Engineering Foundation") is work for
    that division, whatever it asks for. Owners named generically ("the owning domain
    division") cannot be recognised in a requester and are left out."""
    named = {r.owner for r in registry.out_of_scope if not r.owner.lower().startswith("the ")}
    who = request.requester.lower()
    return [
        Fact(kind="other_divisions", detail=owner, evidence=f"requester: {request.requester}")
        for owner in sorted(named)
        if mentions(who, (owner.lower(),))
    ]


def understand(request: ChangeRequest, registry: Registry) -> Intent:
    """The request's intent: what it builds or changes, and every fact with its evidence."""
    facts = _word_facts(request, registry) + _form_facts(request)
    sentences = _sentences(request)
    facts += _move_facts(request, sentences) + _pattern_facts(request, sentences)
    facts += _requester_facts(request, registry)
    return Intent(
        components=components_for(request, registry),
        facts=facts,
        watching=_watching(request, registry),
        existing_integration=bool(_EXISTING_THIRD_PARTY.search(request.text)),
    )


# A third party that already works with us: "webhooks are getting 403s", "our existing".
_EXISTING_THIRD_PARTY = re.compile(
    r"\b(?:are|is|keep|keeps)\s+(?:getting|failing|returning|timing out|broken|erroring)\b"
    r"|\balready\s+(?:integrated|use|using|connected)\b|\bexisting\s+(?:integration|vendor)",
    re.IGNORECASE,
)


def _watching(request: ChangeRequest, registry: Registry) -> bool:
    """The first thing the request asks about is an operations matter (an alert, an SLO,
    autoscaling, limits), not a piece of infrastructure."""
    routing = registry.routing
    ask = without_markup(" ".join([request.request, request.description])).lower()
    ops = first_mention(ask, routing.facts["operations"])
    if ops is None:
        return request.component is Component.MONITORING and not request.ports
    things = first_mention(ask, (*routing.things, *routing.facts["schemas"]))
    return things is None or ops[0] <= things[0]
