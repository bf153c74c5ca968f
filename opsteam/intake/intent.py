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
from opsteam.domain.text import (
    first_mention,
    mentions,
    names_vendor,
    without_markup,
    without_reasons,
)
from opsteam.intake.shapes import (
    evidence_for,
    move_facts,
    pattern_facts,
    requester_facts,
    sentences_of,
)

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


def _without_roles(text: str, registry: Registry) -> str:
    """Role names and slugs in a request are routing instructions, never facts about it."""
    for role in registry.roles:
        for name in (role.slug, role.name.lower(), role.id.lower()):
            text = text.replace(name, " ")
    return text


# "wait between each broker", "pause between batches": a time, not a link between networks.
_IN_TIME = re.compile(
    r"\bbetween\s+(?:each|every|steps?|runs?|batch(?:es)?|attempts?|retries|restarts?"
    r"|deploys?|deployments?|releases?)\b"
)
_HOSTNAMES = re.compile(r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)+\.[a-z]{2,}\b", re.IGNORECASE)


def _word_facts(request: ChangeRequest, registry: Registry) -> list[Fact]:
    text = _without_roles(without_markup(request.text), registry)
    original = f"{request.request}\n{request.description}\n{' '.join(request.integrations)}"
    sentences = sentences_of(request)
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
        # "api.partners.example.com" names a host, not a partner
        where = _HOSTNAMES.sub(" ", text) if kind == "third_parties" else text
        if kind == "connectivity":
            where = _IN_TIME.sub(" ", where)
        for word in dict.fromkeys(mentions(where, vocabulary)):
            if kind == "third_parties" and not names_vendor(word, original):
                continue
            context = not mentions(asked, (word,))
            evidence = evidence_for(sentences, word)
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


def understand(request: ChangeRequest, registry: Registry) -> Intent:
    """The request's intent: what it builds or changes, and every fact with its evidence."""
    facts = _word_facts(request, registry) + _form_facts(request)
    sentences = sentences_of(request)
    facts += move_facts(request, sentences) + pattern_facts(request, sentences)
    facts += requester_facts(request, registry)
    watching = _watching(request, registry)
    if watching:
        facts = _watched_as_context(request, registry, facts)
    return Intent(
        components=components_for(request, registry),
        facts=facts,
        watching=watching,
        existing_integration=bool(_EXISTING_THIRD_PARTY.search(request.text)),
    )


# A third party that already works with us: "webhooks are getting 403s", "our existing".
_EXISTING_THIRD_PARTY = re.compile(
    r"\b(?:are|is|keep|keeps|started|start)\s+(?:getting|failing|returning|timing out|broken"
    r"|erroring|being blocked)\b|\bstopped\s+\w+ing\b|\b(?:let|allow)\s+(?:them|it)\s+"
    r"(?:through|in)\s+again\b"
    r"|\balready\s+(?:integrated|use|using|connected)\b|\bexisting\s+(?:integration|vendor)",
    re.IGNORECASE,
)


_WATCHED_KINDS = frozenset({"data_stores", "data_work", "schemas", "hosts", "customers"})


def _watched_as_context(
    request: ChangeRequest, registry: Registry, facts: list[Fact]
) -> list[Fact]:
    """In "alert when replication lag on the orders replica is above 30s", the replica is
    what is watched, not work on it: a fact named after an operations word in the same
    clause is context."""
    ask = without_markup("\n".join([request.request, request.description])).lower()
    clauses = [c for c in re.split(r"[.;!?\n]+", ask) if c.strip()]
    ops_words = registry.routing.facts["operations"]

    def watched(word: str) -> bool:
        said = [c for c in clauses if mentions(c, (word,))]
        return bool(said) and all(_after_ops(c, word, ops_words) for c in said)

    return [
        f.model_copy(update={"context": True})
        if f.kind in _WATCHED_KINDS and not f.context and watched(f.detail)
        else f
        for f in facts
    ]


def _after_ops(clause: str, word: str, ops_words: Sequence[str]) -> bool:
    ops = first_mention(clause, ops_words)
    at = first_mention(clause, (word,))
    return ops is not None and at is not None and ops[0] < at[0]


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
