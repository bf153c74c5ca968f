"""The division's scope: a request that belongs entirely to another division is redirected.

A request stays here when any of its clauses asks for infrastructure work: it names one of
the roster's infrastructure nouns (``request_routing.things``) without another division's
topic in the same clause ("new postgres for the ledger, and the deploy pipeline needs a
step" stays, with a cross-division checkpoint; "a vulnerability scan of the prod hosts" is
Quality & Security Engineering's). A form whose component is one of ours is never redirected.
"""

from __future__ import annotations

import re

from opsteam.domain.models import ChangeRequest, Component, Redirect
from opsteam.domain.registry import Registry
from opsteam.domain.text import mentions

_CLAUSES = re.compile(r"[.;!?\n]+|,\s+(?:and|but|then|also|plus)\s+|\s+(?:and|but|while)\s+")


# Verbs any division uses ("make the CI run terraform plan", "fix the bug in the db layer"):
# they do not make a clause about another division's topic infrastructure work.
_GENERIC_VERBS = frozenset(
    (
        "make", "set", "put", "change", "update", "fix", "give", "configure", "run", "add",
        "need", "needs", "want", "request", "apply", "point", "enable", "disable", "get a",
        "get an", "get us", "get me", "give us a",
    )
)  # fmt: skip


def _triggers(registry: Registry) -> tuple[str, ...]:
    return tuple(w for rule in registry.out_of_scope for w in rule.triggers)


def infrastructure_work(asked: str, registry: Registry) -> bool:
    """True when some clause asks for infrastructure: it names one of our nouns, and either
    no other division's topic or one of our own verbs ("patch the hosts for the CVE")."""
    others = _triggers(registry)
    verbs = tuple(
        w
        for words in registry.routing.synonyms.type.values()
        for w in words
        if w not in _GENERIC_VERBS
    )
    for clause in _CLAUSES.split(asked.lower()):
        if not mentions(clause, registry.routing.things):
            continue
        if not mentions(clause, others) or mentions(clause, verbs):
            return True
    return False


def redirect_for(text: str, asked: str, registry: Registry) -> Redirect | None:
    """A redirect when ``text`` is another division's topic and ``asked`` (what the request
    asks for) holds no infrastructure work of its own."""
    lowered = text.lower()
    for rule in registry.out_of_scope:
        hits = mentions(lowered, rule.triggers)
        if hits and not infrastructure_work(asked, registry):
            return Redirect(
                topic=rule.topic,
                owner=rule.owner,
                reason=f"'{hits[0]}' is {rule.topic.lower()}, owned by {rule.owner}",
            )
    return None


def scope_redirect(request: ChangeRequest, registry: Registry) -> Redirect | None:
    if request.component is not Component.OTHER:
        return None  # the form names one of our components: cross-division at most
    asked = " ".join([request.request, request.description, request.component_words or ""])
    return redirect_for(request.text, asked, registry)
