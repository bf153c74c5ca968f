"""The division's scope: a request that belongs entirely to another division is redirected.

A request that also touches infrastructure (any of the roster's ``request_routing.things``)
stays here, and the architect asks a cross-division checkpoint instead.
"""

from __future__ import annotations

from opsteam.domain.models import ChangeRequest, Redirect
from opsteam.domain.registry import Registry
from opsteam.domain.text import mentions


def redirect_for(text: str, asked: str, registry: Registry) -> Redirect | None:
    """A redirect when ``text`` is another division's topic and ``asked`` names no
    infrastructure; ``asked`` is what the request asks for (title, description, component)."""
    lowered, asked = text.lower(), asked.lower()
    for rule in registry.out_of_scope:
        hits = mentions(lowered, rule.triggers)
        if hits and not mentions(asked, registry.routing.things):
            return Redirect(
                topic=rule.topic,
                owner=rule.owner,
                reason=f"'{hits[0]}' is {rule.topic.lower()}, owned by {rule.owner}",
            )
    return None


def scope_redirect(request: ChangeRequest, registry: Registry) -> Redirect | None:
    asked = " ".join([request.request, request.description, request.component_words or ""])
    return redirect_for(request.text, asked, registry)
