"""Views of the listing commands (``roster``, ``status``), built without Rich.

Plain :class:`~opsteam.interfaces.plain.Line` and :class:`~opsteam.interfaces.plain.Grid`:
a terminal gets Rich's text and tables, a pipe the same records as lines, and the commands
people script most start without importing Rich.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from opsteam.interfaces.plain import Grid, Line


def runs_view(data: list[dict[str, Any]]) -> Iterator[Line | Grid]:
    if not data:
        yield Line("No requests yet. Submit one with: opsteam submit FILE")
        return
    table = Grid("Requests", ("thread", "status", "env", "request"), keep=("thread", "status"))
    for r in data:
        waiting = [f"- {p['id']}" for p in r.get("pending", [])]
        table.add_row(
            r["thread_id"], "\n".join([r["status"], *waiting]), r["environment"], r["request"]
        )
    yield table
    yield Line("Details: opsteam status THREAD")


def roster_view(data: dict[str, Any]) -> Iterator[Line | Grid]:
    yield Line(f"{data['team']} (lead: {data['lead']})", style="bold")
    yield Line(data["mission"])
    columns = ("role", "slug", "specialty", "responsibility")
    table = Grid("Roster", columns, keep=("slug",))
    for r in data["roles"]:
        table.add_row(r["name"], r["slug"], r["specialty"], r["primary_responsibility"])
    yield table
