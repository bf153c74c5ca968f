"""``opsteam prune [THREAD...] [--older-than DAYS] [--yes]``: delete ended requests.

A dry run unless ``--yes``: it lists what would go. The work (what is deleted, what is kept,
the blob collection) is :func:`opsteam.application.pruning.prune`'s.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from opsteam.interfaces.cli.errors import guarded
from opsteam.interfaces.cli.invocation import Invocation
from opsteam.interfaces.cli.options import HomeOpt, JsonOpt, RegistryOpt


def _lines(data: dict[str, Any]) -> list[str]:
    rows = [f"{r['thread_id']}  {r['status']}  {r['request']}" for r in data["requests"]]
    if data["dry_run"]:
        if not rows:
            return ["Nothing to prune."]
        return [f"Would prune {len(rows)} request(s) (run again with --yes):", *rows]
    lines = [f"Pruned {len(rows)} request(s):", *rows] if rows else ["Pruned no request."]
    lines += [f"{t}  busy: another process is working on it, left alone" for t in data["busy"]]
    size = data["blob_bytes_removed"]
    lines.append(f"Removed {data['blobs_removed']} stored file(s) no request uses ({size} bytes).")
    lines.append("Approvals, change history and built stacks are kept.")
    return lines


def prune(
    threads: Annotated[
        list[str] | None,
        typer.Argument(
            help="Thread ids of ended requests.", metavar="[THREAD]...", show_default=False
        ),
    ] = None,
    older_than: Annotated[
        float | None,
        typer.Option(
            "--older-than",
            help="Every ended request last updated more than DAYS days ago.",
            metavar="DAYS",
            show_default=False,
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Delete (default: only list).")] = False,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """Delete ended requests (checkpoints, listing); a dry run unless --yes."""
    invocation = Invocation(home, registry)
    with guarded(invocation, as_json):
        from opsteam.application.pruning import prune as prune_requests

        report = prune_requests(
            invocation.home,
            invocation.settings,
            threads or [],
            older_than,
            apply=yes,
            now=datetime.now(UTC),
        )
    invocation.output.emit(report.model_dump(mode="json"), as_json=as_json, render=_lines)


def register(app: typer.Typer) -> None:
    app.command()(prune)
