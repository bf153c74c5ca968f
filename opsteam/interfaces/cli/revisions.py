"""``opsteam diff THREAD``: what changed between a request's design revisions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import typer

from opsteam.interfaces.cli.errors import guarded
from opsteam.interfaces.cli.invocation import Invocation
from opsteam.interfaces.cli.options import HomeOpt, JsonOpt, RegistryOpt


def diff_lines(data: dict[str, Any]) -> Iterator[str]:
    """Each revision in one line, then each step: who asked what, what was applied, fields."""
    yield f"{data['request']} ({data['thread_id']}): {len(data['revisions'])} design revision(s)"
    for r in data["revisions"]:
        yield f"  revision {r['revision']}: risk {r['risk']}; cost {r['monthly_cost']}"
    if not data["changes"]:
        yield "No requested changes: the design is as first proposed."
        return
    for c in data["changes"]:
        yield ""
        yield f"Revision {c['before']} -> {c['after']}"
        if c["requested"]:
            yield f"  requested by {c['requested_by']}: {c['requested']}"
        yield from (f"  applied: {line}" for line in c["applied"])
        yield from (f"  not applied: {line}" for line in c["not_applied"])
        for f in c["fields"]:
            yield f"  {f['field']}: {f['before']} -> {f['after']}"
        if not c["fields"]:
            yield "  no design field changed"


def diff(
    thread: Annotated[str, typer.Argument(help="Thread id printed by submit.")],
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """Show what changed between the design revisions of a request (after --changes)."""
    invocation = Invocation(home, registry)
    with guarded(invocation, as_json):
        from opsteam.application.design_diff import design_diff

        found = design_diff(invocation.home, thread, invocation.registry)
    invocation.output.emit(
        found.model_dump(mode="json"), as_json=as_json, render=lambda d: list(diff_lines(d))
    )


def register(app: typer.Typer) -> None:
    app.command()(diff)
