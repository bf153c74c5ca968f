"""Output for people and for pipes: tables at a terminal, whole records in a pipe, clean help.

The real ``opsteam`` command in subprocesses: a pipe (``subprocess``) and a terminal (a
pseudo-terminal through pexpect).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest

from opsteam.domain.registry import default_registry

OPSTEAM = Path(sys.executable).with_name("opsteam")
SGR = re.compile(r"\x1b\[([0-9;]*)m")

pytestmark = pytest.mark.slow


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return {**env, "OPSTEAM_HOME": str(tmp_path / "home"), **extra}


def piped(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(OPSTEAM), *args],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=120,
        check=False,
    )


def at_terminal(tmp_path: Path, *args: str, **env: str) -> str:
    shown, status = pexpect.run(
        str(OPSTEAM),
        args=list(args),
        env=_env(tmp_path, TERM="xterm-256color", COLUMNS="80", LINES="40", **env),
        withexitstatus=True,
        timeout=120,
        encoding="utf-8",
    )
    assert status == 0, shown
    return str(shown)


def _colours(text: str) -> list[str]:
    """SGR codes that set a colour (30-49, 90-107), ignoring bold/dim/italic."""
    found = []
    for match in SGR.finditer(text):
        for code in (c for c in match.group(1).split(";") if c):
            if 30 <= int(code) <= 49 or 90 <= int(code) <= 107:
                found.append(code)
    return found


def test_piped_roster_is_one_record_per_line_never_wrapped(tmp_path: Path) -> None:
    proc = piped(tmp_path, "roster")
    assert proc.returncode == 0, proc.stderr
    registry = default_registry()
    for role in registry.roles:
        [line] = [ln for ln in proc.stdout.splitlines() if ln.startswith(role.name + "\t")]
        assert line.split("\t") == [
            role.name,
            role.slug,
            role.specialty,
            role.primary_responsibility,
        ]
    assert "\x1b[" not in proc.stdout
    assert not any(ch in proc.stdout for ch in "│┃━─")


def test_roster_at_a_terminal_is_a_table(tmp_path: Path) -> None:
    shown = at_terminal(tmp_path, "roster")
    assert any(ch in shown for ch in "│┃━─")
    assert "systems-administrator" in shown  # slugs never wrap; names may fold to fit


def test_json_is_the_same_data_in_a_pipe(tmp_path: Path) -> None:
    proc = piped(tmp_path, "roster", "--json")
    data: dict[str, Any] = json.loads(proc.stdout)
    assert {r["name"] for r in data["roles"]} == {r.name for r in default_registry().roles}


def test_no_color_turns_colour_off(tmp_path: Path) -> None:
    coloured = at_terminal(tmp_path, "--help")
    assert _colours(coloured), "the help has colour at a terminal"
    plain = at_terminal(tmp_path, "--help", NO_COLOR="1")
    assert _colours(plain) == []
    assert "submit" in plain


def test_version(tmp_path: Path) -> None:
    proc = piped(tmp_path, "--version")
    assert proc.returncode == 0
    assert re.fullmatch(r"opsteam \d+\.\d+\.\d+\S*\n", proc.stdout)


ARTEFACTS = re.compile(r"<(bool|str|int|path|float|text)>|\{[a-z_]+\}")


def _commands() -> list[list[str]]:
    """Every command path of the CLI (groups and their subcommands)."""
    import typer

    from opsteam.interfaces.cli.app import app

    found: list[list[str]] = [[]]

    def walk(command: Any, path: list[str]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            found.append([*path, name])
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


def test_help_renders_cleanly_everywhere(tmp_path: Path) -> None:
    commands = _commands()
    assert ["submit"] in commands and ["incident", "open"] in commands
    for path in commands:
        proc = piped(tmp_path, *path, "--help")
        assert proc.returncode == 0, (path, proc.stderr)
        assert "Usage: opsteam" in proc.stdout
        assert not ARTEFACTS.search(proc.stdout), (path, ARTEFACTS.search(proc.stdout))
