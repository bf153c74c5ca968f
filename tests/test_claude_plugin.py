"""``opsteam export claude-plugin``: the files parse, the agents are the roster's slugs, the MCP
configuration starts the server, and the real Claude Code CLI validates the plugin (strict)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
import yaml
from filelock import FileLock
from mcp import Client, StdioServerParameters

from opsteam.interfaces.cli.app import _run_app
from opsteam.interfaces.plugin.claude import TOOLS, tool_names
from tests.rosters import custom_roster, internal_ids

# The Claude Code CLI from npm, cached outside the repo (about 240 MB) and installed when missing.
CLAUDE_CODE = "2.1.332"
NODE_CACHE = Path.home() / ".cache" / "opsteam-tools" / "node"
OPSTEAM = str(Path(sys.executable).with_name("opsteam"))
ROLE_SLUGS = {
    "infrastructure-architect",
    "systems-administrator",
    "network-engineer",
    "database-administrator",
    "site-reliability-engineer",
    "automation-engineer",
}


def _export(target: Path, *args: str) -> None:
    code = _run_app(["export", "claude-plugin", str(target), "--command", OPSTEAM, *args])
    assert code == 0


def _agents(plugin: Path) -> dict[str, dict[str, Any]]:
    """Each agent file's frontmatter (YAML) by file stem, plus its body."""
    found = {}
    for path in sorted((plugin / "agents").glob("*.md")):
        _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
        found[path.stem] = {**yaml.safe_load(front), "body": body}
    return found


def _all_text(plugin: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in plugin.rglob("*") if p.is_file())


def test_the_plugin_is_built_from_the_roster(tmp_path: Path) -> None:
    plugin = tmp_path / "plugin"
    _export(plugin)
    manifest = json.loads((plugin / ".claude-plugin" / "plugin.json").read_text())
    assert (manifest["name"], manifest["mcpServers"]) == ("opsteam", "./.mcp.json")
    agents = _agents(plugin)
    assert set(agents) == {"infrastructure-team", *ROLE_SLUGS}
    for stem, agent in agents.items():
        assert agent["name"] == stem
        assert agent["tools"].split(", ") == tool_names()  # the opsteam MCP tools only
        assert f'subagent_type "{stem}"' in agent["body"]
    assert "Firewall management" in agents["network-engineer"]["description"]
    assert not internal_ids(_all_text(plugin))


def test_a_custom_roster_exports_its_own_agents(tmp_path: Path) -> None:
    roster = custom_roster(tmp_path)
    plugin = tmp_path / "plugin"
    _export(plugin, "--registry", str(roster))
    agents = _agents(plugin)
    assert set(agents) == {"platform-crew", *ROLE_SLUGS}
    assert agents["network-engineer"]["description"].startswith("Network Wrangler")
    assert "Uptime Keeper" in agents["platform-crew"]["description"]
    server = json.loads((plugin / ".mcp.json").read_text())["mcpServers"]["opsteam"]
    assert server["args"] == ["mcp", "--registry", str(roster.resolve())]
    assert not internal_ids(_all_text(plugin))


def test_export_refuses_a_directory_that_is_not_a_plugin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    code = _run_app(["export", "claude-plugin", str(tmp_path)])
    assert code == 2
    assert "is not a plugin export" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.slow
def test_the_mcp_configuration_starts_the_server(tmp_path: Path) -> None:
    plugin = tmp_path / "plugin"
    _export(plugin, "--server-home", str(tmp_path / "home"))
    [(name, spec)] = json.loads((plugin / ".mcp.json").read_text())["mcpServers"].items()
    params = StdioServerParameters(command=spec["command"], args=spec["args"], env=dict(os.environ))
    found: dict[str, Any] = {}

    async def main() -> None:
        async with Client(params, read_timeout_seconds=120) as client:
            found["tools"] = sorted(t.name for t in (await client.list_tools()).tools)
            found["roster"] = await client.call_tool("roster", {})

    anyio.run(main)
    assert found["tools"] == sorted(TOOLS)
    # The names the agents are allowed are the names Claude Code gives these tools.
    assert sorted(tool_names()) == sorted(f"mcp__plugin_opsteam_{name}__{t}" for t in TOOLS)
    assert found["roster"].structured_content["team"] == "Infrastructure & Operations Team"


def claude_cli() -> Path:
    """The pinned Claude Code CLI, installed from npm into the cache when missing."""
    exe = NODE_CACHE / "node_modules" / ".bin" / "claude"
    installed = NODE_CACHE / "node_modules" / "@anthropic-ai" / "claude-code" / "package.json"

    def current() -> bool:
        return exe.exists() and json.loads(installed.read_text())["version"] == CLAUDE_CODE

    NODE_CACHE.mkdir(parents=True, exist_ok=True)
    with FileLock(str(NODE_CACHE) + ".lock", timeout=600):
        if not current() and shutil.which("npm"):
            subprocess.run(
                ["npm", "install", "--prefix", str(NODE_CACHE), "--no-audit", "--no-fund",
                 "--loglevel=error", f"@anthropic-ai/claude-code@{CLAUDE_CODE}"],
                capture_output=True, timeout=600, check=False,
            )  # fmt: skip
    if not current():
        reason = f"the Claude Code CLI {CLAUDE_CODE} could not be installed with npm"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return exe


@pytest.mark.slow
def test_claude_code_validates_the_plugin_strictly(tmp_path: Path) -> None:
    plugin = tmp_path / "plugin"
    _export(plugin, "--registry", str(custom_roster(tmp_path)))
    home = tmp_path / "claude-home"  # no account, no settings: a clean HOME
    home.mkdir()
    proc = subprocess.run(
        [str(claude_cli()), "plugin", "validate", str(plugin), "--strict", "--json"],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "HOME": str(home)},
    )  # fmt: skip
    report = json.loads(proc.stdout)
    assert proc.returncode == 0 and report["success"], proc.stdout
    assert report["manifest"]["errors"] == [] and report["manifest"]["warnings"] == []
    agents = {a.removeprefix("opsteam:") for a in report["provides"]["agents"]}
    assert agents == {"platform-crew", *ROLE_SLUGS}
    [server] = report["provides"]["mcpServers"]
    assert (server["name"], server["target"], server["args"][0]) == ("opsteam", OPSTEAM, "mcp")
