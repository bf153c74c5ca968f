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
from opsteam.domain.text import first_mention, mentions, without_reasons

_CLAUSES = re.compile(r"[.;!?\n]+|,\s+(?:and|but|then|also|plus)\s+|\s+(?:but|while)\s+")


def _triggers(registry: Registry) -> tuple[str, ...]:
    return tuple(w for rule in registry.out_of_scope for w in rule.triggers)


def infrastructure_work(asked: str, registry: Registry) -> bool:
    """True when some clause is about infrastructure: the first topic it names is one of our
    nouns, not another division's ("patch the hosts for the CVE" is ours; "make the CI run
    terraform plan" and "a vulnerability scan of the prod hosts" are not)."""
    others = _triggers(registry)
    for clause in _CLAUSES.split(without_reasons(asked).lower()):
        ours = first_mention(clause, registry.routing.things)
        if ours is None:
            continue
        theirs = first_mention(clause, others)
        if theirs is None or ours[0] < theirs[0]:
            return True
    return False


def redirect_for(text: str, asked: str, registry: Registry) -> Redirect | None:
    """A redirect when ``text`` is another division's topic and ``asked`` (what the request
    asks for) holds no infrastructure work of its own."""
    lowered = without_reasons(text).lower()  # "before their pentest" is not the topic
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
