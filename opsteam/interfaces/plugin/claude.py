"""``opsteam export claude-plugin DIR``: a Claude Code plugin built from the loaded roster.

One subagent per role plus one for the whole team (``name`` = the slug, so
``Task -> subagent_type: "network-engineer"`` reaches that role), each allowed only the opsteam
MCP tools, and the MCP server configuration that starts ``opsteam mcp`` with the same roster.
Every text passes the roster's :class:`Redactor`: the plugin carries public names, no IDs.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from opsteam.domain.errors import InputError
from opsteam.domain.redaction import Redactor
from opsteam.domain.registry import Registry, Role

PLUGIN_NAME = "opsteam"
SERVER_NAME = "opsteam"  # the MCP server's key in .mcp.json
TOOLS = ("task", "status", "list_approvals", "decide", "roster", "show_artifact")
LICENSE = "Apache-2.0"
MCP_CONFIG = ".mcp.json"


def tool_names() -> list[str]:
    """How Claude Code names a plugin's MCP tools: mcp__plugin_<plugin>_<server>__<tool>."""
    return [f"mcp__plugin_{PLUGIN_NAME}_{SERVER_NAME}__{tool}" for tool in TOOLS]


@dataclass(frozen=True)
class ServerCommand:
    """How the plugin starts the MCP server (the command must be on the user's PATH)."""

    command: str = "opsteam"
    registry: Path | None = None
    home: Path | None = None

    def config(self) -> dict[str, object]:
        args = ["mcp"]
        if self.registry is not None:
            args += ["--registry", str(self.registry.resolve())]
        if self.home is not None:
            args += ["--home", str(self.home.resolve())]
        return {"mcpServers": {SERVER_NAME: {"command": self.command, "args": args}}}


def _frontmatter(fields: dict[str, str]) -> str:
    # JSON strings are valid YAML scalars: any roster text stays data, never YAML syntax.
    body = "\n".join(
        f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in fields.items()
    )
    return f"---\n{body}\n---\n"


def _role_description(role: Role, team: str) -> str:
    topics = ", ".join(role.triggers[:12])
    return (
        f"{role.name} ({role.title}) of the {team}: {role.primary_responsibility}. "
        f"Use for {role.specialty.lower()} work: {', '.join(role.capabilities)}. "
        f"Routes well for: {topics}. Works alone on the architect's design and pauses for "
        "human approval at the team's checkpoints (production changes included)."
    )


def _team_description(registry: Registry) -> str:
    names = ", ".join(r.name for r in registry.roles)
    return (
        f"The whole {registry.team.name} ({names}): give it an infrastructure change request "
        "in plain words (new servers, databases, networks, monitoring, removals, changes); "
        "the architect designs and assigns the specialists, who build Terraform, Ansible, "
        "Kubernetes and monitoring with real validators. Pauses for human approval at "
        "architecture, integration, schema, cross-division and production checkpoints."
    )


def _prompt(slug: str, who: str, registry: Registry) -> str:
    tool = tool_names()[0]
    return (
        f"You hand work to {who} through the opsteam MCP server.\n\n"
        f'1. Call `{tool}` with subagent_type "{slug}" and the user\'s request in plain '
        "words, as the user said it (environment, service, what to build or change). Do not "
        "invent facts: if the result has `questions`, ask the user and call again.\n"
        "2. Report the result: status, summary, the roles that worked, the artifacts (read "
        "one with `show_artifact`) and the thread id.\n"
        "3. When the status is awaiting-approval, the run waits for a person: show each "
        "pending approval (its name and reason) and ask the user to approve, reject (with a "
        "reason) or request changes; then call `decide`. Never decide for the user.\n"
        "4. Use `status` and `list_approvals` to follow up; `roster` shows the team.\n\n"
        f"Team mission: {registry.team.mission}\n"
    )


def agent_files(registry: Registry) -> dict[str, str]:
    """``agents/<slug>.md`` for every role and for the whole team, redacted."""
    redactor = Redactor.for_registry(registry)
    tools = ", ".join(tool_names())
    team = registry.team
    files = {
        f"agents/{team.slug}.md": _frontmatter(
            {"name": team.slug, "description": _team_description(registry), "tools": tools}
        )
        + _prompt(team.slug, f"the whole {team.name}", registry)
    }
    for role in registry.roles:
        if not role.core:  # a role added as data works inside the team, never alone
            continue
        front = {
            "name": role.slug,
            "description": _role_description(role, team.name),
            "tools": tools,
        }
        who = f"the {role.name} alone (after the architect's design)"
        files[f"agents/{role.slug}.md"] = _frontmatter(front) + _prompt(role.slug, who, registry)
    return {path: redactor.text(text) for path, text in files.items()}


def plugin_files(registry: Registry, version: str, server: ServerCommand) -> dict[str, str]:
    """Every file of the plugin, by relative path."""
    redactor = Redactor.for_registry(registry)
    team = registry.team
    manifest = {
        "name": PLUGIN_NAME,
        "version": version,
        "description": f"{team.name} as Claude Code subagents: {team.mission}",
        "author": {"name": f"{team.name} ({team.division})"},
        "license": LICENSE,
        "keywords": ["infrastructure", "operations", "terraform", "sre", "langgraph"],
        "mcpServers": f"./{MCP_CONFIG}",
    }
    subagent_names = [team.slug, *(r.slug for r in registry.roles if r.core)]
    readme = (
        f"# {PLUGIN_NAME}: {team.name}\n\n{team.mission}\n\n"
        "This plugin adds one subagent per role and one for the whole team. Each hands the "
        "request, in plain words, to the opsteam MCP server (`opsteam mcp`, which must be on "
        "your PATH: `pip install opsteam`), which runs the team's LangGraph flow offline and "
        "pauses at human checkpoints. Subagents:\n\n"
        + "".join(f"- `{name}`\n" for name in subagent_names)
        + "\nGenerated by `opsteam export claude-plugin` from the loaded roster.\n"
    )
    files = {
        ".claude-plugin/plugin.json": json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
        MCP_CONFIG: json.dumps(server.config(), indent=2) + "\n",
        "README.md": readme,
    }
    safe = {path: redactor.text(text) for path, text in files.items()}
    return {**safe, **agent_files(registry)}


def export_plugin(
    registry: Registry, target: Path, version: str, server: ServerCommand | None = None
) -> list[str]:
    """Write the plugin to ``target`` (empty or an earlier export), all or nothing."""
    target = target.resolve()
    if target.exists() and not target.is_dir():
        raise InputError(f"{target}: exists and is not a directory")
    earlier = (target / ".claude-plugin" / "plugin.json").exists()
    if target.exists() and any(target.iterdir()) and not earlier:
        raise InputError(f"{target}: exists and is not a plugin export; choose an empty dir")
    files = plugin_files(registry, version, server or ServerCommand())
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".opsteam-plugin-", dir=target.parent))
    try:
        for path, text in files.items():
            out = staging / path
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8", newline="\n")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return sorted(files)
