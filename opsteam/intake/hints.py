"""What a form's own words state but its fields leave empty ("Redis 7 for autocomplete").

A person filling the form often puts the engine, the ports or the vendor in the description
and leaves the matching field blank. Those facts are read with the same extractors as plain
words; a field the person filled is never overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opsteam.domain.request_routing import RequestRouting
from opsteam.intake import words

# Optional fields a description can fill; required ones (type, environment, ...) are never
# inferred for a form: the form asks for them.
HINTED = ("engine", "engine_version", "ports", "existing_cidrs", "integrations", "service")


def form_hints(form: Mapping[str, Any], routing: RequestRouting) -> dict[str, Any]:
    """The optional fields the form's title and description state and its fields leave out."""
    title, description = str(form.get("request") or ""), str(form.get("description") or "")
    text = f"{title}. {description}"
    found: dict[str, Any] = {}
    words.technology(text, found)
    words.lists(text.lower(), routing, found)
    words.service(description, routing, found)
    return {
        name: value
        for name, (value, _evidence) in found.items()
        if name in HINTED and form.get(name) in (None, "", [])
    }
