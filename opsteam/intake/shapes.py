"""Facts said by a phrase's shape rather than by a word of the roster's vocabulary.

Moves between platforms ("migrate off kubeadm onto EKS"), cut-overs ("cut the reads over to
the replica"), new pieces of the design ("a new pricing service"), columns by their shape
("plan_id"), and other divisions named as such ("the Payments division", a form filed by
Engineering Foundation). Each fact carries the sentence that said it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from opsteam.domain.intent import Fact
from opsteam.domain.models import ChangeRequest
from opsteam.domain.registry import Registry
from opsteam.domain.text import mentions, without_reasons
from opsteam.intake.fields import COLUMN

_SENTENCES = re.compile(r"(?<=[.!?;])\s+|\n+")


def sentences_of(request: ChangeRequest) -> list[str]:
    texts = [request.request, request.description, request.justification, request.impact]
    texts += [request.component_words or "", *request.integrations]
    return [s.strip() for t in texts for s in _SENTENCES.split(t) if s.strip()]


def evidence_for(sentences: Sequence[str], word: str) -> str:
    for sentence in sentences:
        if mentions(sentence.lower(), (word,)):
            return sentence if len(sentence) <= 160 else sentence[:157] + "..."
    return word


_MOVE = re.compile(
    r"(?<!schema )(?<!database )(?<!db )(?<!data )"
    r"\b(?:migrat\w*|mov\w*|switch\w*|replac\w*|consolidat\w*|swap\w*)\b[^.;\n]{0,80}?"
    r"\b(?:to|onto|into|off|with|from|for)\b",
    re.IGNORECASE,
)


_PLACES = (
    "database", "db", "cluster", "clusters", "region", "postgres", "postgresql", "mysql",
    "redis", "memcached", "eks", "kubernetes", "k8s", "kubeadm", "aws", "gcp", "azure",
    "cloud", "platform", "datacenter", "data center", "on-prem", "vpc", "network",
    "account", "cdn", "dns provider", "route53", "elasticache", "rds", "aurora", "vms",
    "route 53", "dns zone", "dns zones",
)  # fmt: skip
_REGION_NAME = re.compile(r"\b[a-z]{2}-[a-z]+-\d\b")


# Traffic pointed somewhere else without a platform change ("cut the reads over to the new
# replica", "repoint the app at the standby").
_CUTOVER = re.compile(
    r"\b(?:cut\w*\s+(?:[\w'-]+\s+){0,5}?over|cutover|re-?point\w*|fail\w*\s+over)\b"
    r"[^.;\n]{0,60}?\b(?:to|at|onto)\b",
    re.IGNORECASE,
)


_ONTO_A_REPLICA = re.compile(
    r"\b(?:to|onto|into)\s+(?:the\s+|our\s+|a\s+|its\s+)?(?:[\w-]+\s+){0,2}?"
    r"(?:read\s+)?(?:replica|standby|primary|reader)s?\b",
    re.IGNORECASE,
)


def _names_a_place(said: str, move: re.Match[str]) -> bool:
    """The move, or the words just after it, name a store, platform or place ("migrate off
    our kubeadm clusters onto EKS")."""
    window = re.split(r"[.;,\n]", said[move.start() : move.end() + 60])[0].lower()
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


def pattern_facts(request: ChangeRequest, sentences: Sequence[str]) -> list[Fact]:
    """Facts said by a phrase's shape rather than a word of the roster's vocabulary."""
    said = without_reasons("\n".join([request.request, request.description]))
    facts = [
        Fact(kind="topology", detail=m.group(0).lower(), evidence=evidence_for(sentences, "new"))
        for m in _NEW_PIECE.finditer(said)
    ]
    facts += [
        Fact(
            kind="schemas",
            detail=f"column {m.group(0)}",
            evidence=evidence_for(sentences, m.group(0)),
        )
        for m in COLUMN.finditer(said.lower())
    ][:MAX_SHAPES]
    facts += [
        Fact(
            kind="other_divisions",
            detail=m.group(0).lower(),
            evidence=evidence_for(sentences, "division"),
        )
        for m in _DIVISION.finditer(request.text)
        if m.group(1).lower() not in _NOT_ANOTHER
    ]
    return facts


def move_facts(request: ChangeRequest, sentences: Sequence[str]) -> list[Fact]:
    """Moving or migrating a store, a platform or a place changes traffic and architecture
    ("migrate the catalog database to Postgres"); switching a setting does not."""
    said = without_reasons("\n".join([request.request, request.description]))
    match = next((m for m in _MOVE.finditer(said) if _names_a_place(said, m)), None)
    if match is not None and _ONTO_A_REPLICA.search(said[match.start() : match.end() + 80]):
        match = None  # reads moved onto a replica we have: traffic, not a new design
    if match is None:
        cutover = _CUTOVER.search(said)
        if cutover is None:
            return []
        evidence = evidence_for(sentences, cutover.group(0).split()[0].lower())
        return [Fact(kind="connectivity", detail="traffic is cut over", evidence=evidence)]
    evidence = evidence_for(sentences, match.group(0).split()[0].lower())
    return [
        Fact(kind="topology", detail="a migration between platforms", evidence=evidence),
        Fact(kind="connectivity", detail="traffic moves to the new place", evidence=evidence),
    ]


def requester_facts(request: ChangeRequest, registry: Registry) -> list[Fact]:
    """A form filed by another division ("requester: Engineering Foundation") is work for
    that division, whatever it asks for. Owners named generically ("the owning domain
    division") cannot be recognised in a requester and are left out."""
    named = {r.owner for r in registry.out_of_scope if not r.owner.lower().startswith("the ")}
    who = request.requester.lower()
    evidence = f"requester: {request.requester}"
    facts = [
        Fact(kind="other_divisions", detail=owner, evidence=evidence)
        for owner in sorted(named)
        if mentions(who, (owner.lower(),))
    ]
    facts += [  # "requester: Payments division"
        Fact(kind="other_divisions", detail=m.group(0).lower(), evidence=evidence)
        for m in _DIVISION.finditer(request.requester)
        if m.group(1).lower() not in _NOT_ANOTHER
    ]
    return facts
