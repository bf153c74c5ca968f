"""Walking a checkpoint's values: plain dicts, lists and tuples down to their leaves.

Every checkpoint read and write walks the state (to swap artifacts for references, stored
values for hashes, sent models for their stored form), so these are written for speed: a
leaf's type is tested before any container test, and scalars cost no call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

# Leaves by their exact type: most of a state is these, and a type test costs less than the
# container tests (every checkpoint read and write walks the whole state).
SCALARS = frozenset({str, int, float, bool, bytes, type(None)})


def walk(value: Any, visit: Callable[[Any], Any]) -> Any:
    """``value`` with ``visit`` applied to every leaf inside plain dicts, lists and tuples,
    in fresh containers. Scalars are kept as they are: every visit here looks for a model
    (an artifact, a reference, a Send) and returns anything else unchanged."""
    kind = type(value)
    if kind in SCALARS:
        return value
    if kind is dict or (kind is not list and isinstance(value, dict)):
        return {k: v if type(v) in SCALARS else walk(v, visit) for k, v in value.items()}
    if kind is list or isinstance(value, list):
        return [v if type(v) in SCALARS else walk(v, visit) for v in value]
    if kind is tuple:
        return tuple(v if type(v) in SCALARS else walk(v, visit) for v in value)
    return visit(value)


def scan(value: Any, note: Callable[[Any], None]) -> None:
    """``note`` called on every leaf of ``value`` that :func:`walk` visits, but scalars (no
    caller looks for one), without building the copy :func:`walk` returns."""
    kind = type(value)
    if kind in SCALARS:
        return
    if kind is dict or (kind is not list and isinstance(value, dict)):
        items = value.values()
    elif kind is list or isinstance(value, list) or kind is tuple:
        items = value
    else:
        note(value)
        return
    for item in items:
        if type(item) not in SCALARS:
            scan(item, note)


def same(leaf: Any) -> Any:
    return leaf


def leaves(value: Any, kind: type[BaseModel]) -> list[Any]:
    found: list[Any] = []

    def collect(leaf: Any) -> None:
        if isinstance(leaf, kind):
            found.append(leaf)

    scan(value, collect)
    return found
