"""``opsteam show THREAD [ARTIFACT] [--out DIR]``: the current files of any request.

Paused or finished, the files come from the request's saved state, so a bundle is never lost:
it can be listed, printed one file at a time, or written again (same bytes) to any folder.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from opsteam.domain.errors import InputError
from opsteam.interfaces.cli.errors import guarded
from opsteam.interfaces.cli.invocation import Invocation
from opsteam.interfaces.cli.options import HomeOpt, JsonOpt, OutOpt, RegistryOpt

SHOWN_NAMES = 8  # a missing file's error lists this many of the request's files


def _listing(data: dict[str, Any]) -> list[str]:
    """One line per file (pipes and grep read it as is), then how to get at them."""
    head = f"{data['status'].upper()}  {data['request']}  thread {data['thread_id']}"
    if data.get("bundle"):
        return [head, f"Bundle written to {data['bundle']} ({len(data['files'])} files)"]
    if not data["files"]:
        return [head, "No files yet: the team has not written any at this point."]
    lines = [head, *(f"{f['path']}  {f['role']}  {f['kind']}" for f in data["files"])]
    tid = data["thread_id"]
    lines.append(f"Print one: opsteam show {tid} PATH   Write all: opsteam show {tid} --out DIR")
    return lines


def _content(data: dict[str, Any]) -> str:
    text: str = data["content"]
    return text.removesuffix("\n")  # the console ends the line itself


def show(
    thread: Annotated[str, typer.Argument(help="Thread id of the request.", metavar="THREAD")],
    artifact: Annotated[
        str | None,
        typer.Argument(
            help="Path of one file to print (omit to list them).",
            show_default=False,
            metavar="PATH",
        ),
    ] = None,
    out: OutOpt = None,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """Show the files of a request, paused or finished; --out writes them as a bundle."""
    invocation = Invocation(home, registry)
    with guarded(invocation, as_json):
        if artifact is not None and out is not None:
            raise InputError("give a file to print or --out DIR, not both")
        if out is not None:
            from opsteam.application.bundle import check_target

            check_target(out)  # before any work
        from opsteam.application.saved import show_saved

        # At rest, the request's history row holds it all: no graph to open, or import.
        saved = show_saved(invocation.home, invocation.settings, invocation.registry, thread, out)
        result, artifacts = saved or invocation.team().show(thread, out=out)
        if artifact is not None:
            found = next((a for a in artifacts if a.path == artifact), None)
            if found is None:
                names = ", ".join(a.path for a in artifacts[:SHOWN_NAMES]) or "none yet"
                more = ", ..." if len(artifacts) > SHOWN_NAMES else ""
                raise InputError(f"{artifact}: no such file in {thread}; files: {names}{more}")
            file = {"thread_id": thread, "path": found.path, "content": found.content}
            invocation.output.emit(file, as_json=as_json, render=_content)
            return
    data = {
        "thread_id": result.thread_id,
        "status": result.status,
        "request": result.request,
        "bundle": result.bundle,
        "files": [a.model_dump(mode="json") for a in result.artifacts],
    }
    invocation.output.emit(data, as_json=as_json, render=_listing)


def register(app: typer.Typer) -> None:
    app.command()(show)
