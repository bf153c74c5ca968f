"""Task-style commands: ``task``, ``mcp`` and ``export claude-plugin``.

``opsteam task --subagent-type SLUG "words"`` delegates like an agent's Task tool (submit's exit
codes: 0 done, 3 waiting for approval, 2 bad input or questions, 1 failure); ``opsteam mcp``
serves the same over MCP (stdio); ``opsteam export claude-plugin DIR`` writes a Claude Code
plugin for the loaded roster.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from opsteam.domain.errors import InputError
from opsteam.interfaces.cli.errors import guarded
from opsteam.interfaces.cli.invocation import Invocation
from opsteam.interfaces.cli.options import HomeOpt, JsonOpt, OutOpt, RegistryOpt
from opsteam.interfaces.cli.strict import StrictOpt, strict_problems
from opsteam.interfaces.startup import settled

if TYPE_CHECKING:
    from rich.console import RenderableType

    from opsteam.application.task import Tasks

MAX_PROMPT_BYTES = 256 * 1024


def task_view(data: dict[str, Any]) -> Iterator[RenderableType]:
    """A task result for people (the data is already redacted)."""
    from rich.text import Text

    head = f"{data['status'].upper()}  [{data['subagent_type']}]"
    if data.get("thread_id"):
        head += f"  thread {data['thread_id']}"
    yield Text(head, style="bold")
    yield Text(data["summary"])
    if data.get("roles"):
        yield Text("Roles: " + ", ".join(data["roles"]))
    for artifact in data.get("artifacts", []):
        yield Text(f"  {artifact['path']}  ({artifact['role']}, {artifact['kind']})")
    for pending in data.get("pending", []):
        yield Text(f"Waiting for a human decision: {pending['name']}: {pending['reason']}")
        yield Text(f"  decide with: {pending['decide']}")
    if data.get("bundle"):
        yield Text(f"Bundle written to {data['bundle']}")


def _prompt(prompt: str) -> str:
    if prompt != "-":
        return prompt
    raw = sys.stdin.buffer.read(MAX_PROMPT_BYTES + 1)
    if len(raw) > MAX_PROMPT_BYTES:
        raise InputError(f"stdin: longer than {MAX_PROMPT_BYTES // 1024} KiB")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("stdin: input is not UTF-8 text") from None


def task(
    prompt: Annotated[str, typer.Argument(help="The request in plain words, or - for stdin.")],
    subagent_type: Annotated[
        str | None,
        typer.Option(
            "--subagent-type",
            help="The team's slug (infrastructure-team: the whole flow, the default) or a "
            "role's slug (that role alone).",
            show_default=False,
        ),
    ] = None,
    requester: Annotated[
        str | None,
        typer.Option(help="Who asks (default: $OPSTEAM_USER or login).", show_default=False),
    ] = None,
    as_json: JsonOpt = False,
    out: OutOpt = None,
    strict: StrictOpt = False,
    home: HomeOpt = None,
    registry: RegistryOpt = None,
) -> None:
    """Delegate a request in plain words to the team or to one role, like an agent's Task."""
    invocation = Invocation(home, registry)
    with guarded(invocation, as_json):
        from opsteam.application.bundle import check_target
        from opsteam.application.task import Tasks

        if out is not None:
            check_target(out)  # before any work: nothing runs or is stored
        tasks = Tasks(invocation.team())
        kind = subagent_type or invocation.registry.team.slug
        result = tasks.run(kind, _prompt(prompt), requester=requester, out=out)
        if result.status == "needs-input" and not as_json:
            raise InputError(result.questions[0], result.questions)
        done = result.thread_id if strict and result.status == "completed" else None
        problems = strict_problems([invocation.team().status(done)]) if done else []
    invocation.output.emit(result.model_dump(mode="json"), as_json=as_json, render=task_view)
    if problems:
        invocation.output.error(["--strict: " + line for line in problems], as_json=as_json)
        raise typer.Exit(1)
    raise typer.Exit(result.exit_code)


def mcp(home: HomeOpt = None, registry: RegistryOpt = None) -> None:
    """Serve the team as an MCP server on stdio (task, status, approvals, decide, artifacts)."""
    invocation = Invocation(home, registry)
    with guarded(invocation):
        from opsteam.interfaces.mcp.server import build_server

        roster, data_home = invocation.registry, invocation.home

        def make_tasks() -> Tasks:
            from opsteam.application.service import Opsteam
            from opsteam.application.task import Tasks

            return Tasks(Opsteam(data_home, roster))

        server = build_server(roster, make_tasks)
    settled()
    server.run("stdio")


def claude_plugin(
    directory: Annotated[Path, typer.Argument(help="Where to write the plugin (empty dir).")],
    command: Annotated[
        str, typer.Option(help="How the plugin starts opsteam (a command on PATH, or a path).")
    ] = "opsteam",
    plugin_home: Annotated[
        Path | None,
        typer.Option(
            "--server-home", help="Data directory the plugin's server uses.", show_default=False
        ),
    ] = None,
    as_json: JsonOpt = False,
    registry: RegistryOpt = None,
) -> None:
    """Write a Claude Code plugin: a subagent per role and for the team, and the MCP config."""
    from rich.text import Text

    from opsteam.interfaces.cli.app import version
    from opsteam.interfaces.plugin.claude import ServerCommand, export_plugin

    invocation = Invocation(registry_option=registry)
    with guarded(invocation, as_json):
        server = ServerCommand(command=command, registry=registry, home=plugin_home)
        files = export_plugin(invocation.registry, directory, version(), server)
    data = {"plugin": str(directory.resolve()), "files": files}
    invocation.output.emit(
        data,
        as_json=as_json,
        render=lambda d: [Text(f"Plugin written to {d['plugin']}"), *map(Text, d["files"])],
    )


def register(app: typer.Typer) -> None:
    app.command()(task)
    app.command()(mcp)
    export = typer.Typer(help="Export the team for other tools.", no_args_is_help=True)
    export.command("claude-plugin")(claude_plugin)
    app.add_typer(export, name="export")
