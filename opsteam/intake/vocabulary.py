"""Open vocabulary for the form: what a person writes becomes the form's values.

``type``, ``environment`` and ``component`` accept the words people use, in any case, through
the roster's synonym tables. A component word that names none of the form's components is
kept as written and the architect decides from the text: it is never a reason to refuse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from opsteam.domain.request_routing import RequestRouting

_SPACES = re.compile(r"[\s_]+")


# What people write in a form field they have not decided yet.
UNDECIDED = frozenset({"tbd", "tba", "tbc", "unknown", "n/a", "na", "?", "-", "not sure", "todo"})


def _key(value: str) -> str:
    return _SPACES.sub(" ", value.strip().lower())


def lookup(table: Mapping[Any, tuple[str, ...]], value: str) -> str | None:
    """The canonical value whose synonyms (or own name) include ``value``."""
    key = _key(value)
    for canonical, words in table.items():
        if key == str(canonical).lower() or key in words:
            return str(canonical)
    return None


def normalize_form(item: Mapping[str, Any], routing: RequestRouting) -> dict[str, Any]:
    """The form with type, environment and component mapped to their canonical values."""
    form = dict(item)
    synonyms = routing.synonyms
    for field, table in (("type", synonyms.type), ("environment", synonyms.environment)):
        value = form.get(field)
        if isinstance(value, str) and _key(value) in UNDECIDED:
            del form[field]  # "TBD" is not an answer: the field is missing, and asked for
        elif isinstance(value, str):
            form[field] = lookup(table, value) or value
    component = form.get("component")
    if isinstance(component, str):
        canonical = lookup(synonyms.component, component)
        if canonical is not None:
            form["component"] = canonical
        else:
            form["component"] = "other"
            form.setdefault("component_words", component.strip())
    return form
