"""Commands that run no graph load no graph machinery, no Alembic on a current store, one roster.

Behaviour, not timing: each command runs in a fresh interpreter that reports, on exit, which
of the watched packages it imported and how often it parsed a roster. (Timings live in bench/.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

WATCHED = ("langgraph", "langchain_core", "langsmith", "alembic", "jinja2")
# Heavier libraries the lightest commands do without (a current SQLite store needs no ORM).
LIGHT = {"sqlalchemy", "rich", "pydantic_settings"}
# Runs the real entry point; on exit prints the watched top-level packages it imported and
# how many times a registry was parsed.
PROBE = f"""
import atexit, json, sys
import opsteam.domain.registry as registry

parsed = []
real_parse = registry.parse_registry

def counting_parse(*args, **kwargs):
    parsed.append(1)
    return real_parse(*args, **kwargs)

registry.parse_registry = counting_parse

def report():
    tops = sorted({{m.split(".")[0] for m in sys.modules}} & set({WATCHED!r} + {tuple(LIGHT)!r}))
    loaded = "opsteam.interfaces.cli.app" in sys.modules
    sys.stderr.write("PROBE " + json.dumps([tops, len(parsed), loaded]) + "\\n")

atexit.register(report)
sys.argv = ["opsteam", *sys.argv[1:]]
from opsteam.interfaces.cli.app import main
main()
"""


def probe(home: Path, *args: str) -> tuple[int, str, list[str], int]:
    """Exit code, stdout, watched packages imported, roster parses."""
    env = {**os.environ, "OPSTEAM_HOME": str(home), "NO_COLOR": "1"}
    env.setdefault("OPSTEAM_CONFIG", str(home.parent / "no-settings.toml"))
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    line = next(x for x in proc.stderr.splitlines() if x.startswith("PROBE "))
    tops, parses, loaded = json.loads(line.removeprefix("PROBE "))
    assert loaded, "the probe must have run the real command line"
    return proc.returncode, proc.stdout, tops, parses


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["roster"],
        ["oncall", "--at", "2026-12-01T10:00:00Z"],
        ["status"],
        ["kpis"],
        ["incident", "list"],
        ["chat", "--help"],
        ["serve", "--help"],
        ["show", "--help"],
        ["diff", "--help"],
        ["token", "list"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_commands_that_run_no_graph_import_no_graph_machinery(
    tmp_path: Path, args: list[str]
) -> None:
    home = tmp_path / "home"
    probe(home, "status")  # a current store: the command below finds the schema at head
    code, _, tops, parses = probe(home, *args)
    assert code == 0
    heavy = [t for t in tops if t not in LIGHT]
    assert heavy == [], f"opsteam {' '.join(args)} imported {heavy}"
    only_help = args[-1] in ("--help", "--version")
    assert parses == (0 if only_help else 1), "the roster: once per process, never for help"


@pytest.mark.parametrize(
    "args", [["--help"], ["--version"], ["roster"], ["status"], ["status", "--json"]], ids=str
)
def test_the_lightest_commands_load_no_orm(tmp_path: Path, args: list[str]) -> None:
    """Help and version print without a roster; ``status`` on a current SQLite
    store reads it with ``sqlite3``; none imports SQLAlchemy, and what is printed to a pipe
    (here: captured) needs no Rich, only the help does.
    """
    home = tmp_path / "home"
    probe(home, "status")
    code, out, tops, _ = probe(home, *args)
    assert code == 0 and out
    assert "sqlalchemy" not in tops
    assert args == ["--help"] or "rich" not in tops
    # No settings file: the OPSTEAM_* variables are read without pydantic-settings' import.
    assert "pydantic_settings" not in tops


def test_a_settings_file_is_read_through_pydantic_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    config = tmp_path / "settings.toml"
    config.write_text('runbook_base_url = "https://wiki.example.org/rb"\n', encoding="utf-8")
    monkeypatch.setenv("OPSTEAM_CONFIG", str(config))
    code, _, tops, _ = probe(home, "roster")
    assert code == 0 and "pydantic_settings" in tops


def test_a_new_store_is_migrated_on_first_use_then_opens_without_alembic(tmp_path: Path) -> None:
    home = tmp_path / "home"
    code, _, first, _ = probe(home, "status", "--json")
    assert code == 0 and "alembic" in first  # the migration ran
    code, out, second, _ = probe(home, "status", "--json")
    assert code == 0 and json.loads(out) == []
    assert "alembic" not in second


def test_version_prints_the_installed_distribution_version(tmp_path: Path) -> None:
    code, out, _, _ = probe(tmp_path, "--version")
    assert code == 0
    assert out.strip() == f"opsteam {version('opsteam')}"


def test_the_probe_sees_graph_imports_when_a_command_runs_the_graph(tmp_path: Path) -> None:
    """The control: the same probe reports LangGraph when a command does need it."""
    code, _, tops, _ = probe(tmp_path, "approve", "chg-000000000000")
    assert code == 2
    assert "langgraph" in tops


def test_exporting_the_claude_plugin_runs_no_graph(tmp_path: Path) -> None:
    code, out, tops, parses = probe(tmp_path / "home", "export", "claude-plugin",
                                    str(tmp_path / "plugin"))  # fmt: skip
    assert code == 0 and "agents/network-engineer.md" in out
    assert [t for t in tops if t not in LIGHT] == [] and parses == 1


@pytest.fixture(scope="module")
def at_rest(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A data home holding a production request paused with its files, and one finished."""
    from opsteam.application.service import Opsteam
    from opsteam.intake import parse_requests
    from tests.fakes import ParseOnlyVerifier

    home = tmp_path_factory.mktemp("at-rest") / "home"
    example = Path(__file__).resolve().parent.parent / "examples" / "prod-postgres-ha.yaml"
    team = Opsteam(home, verifier=ParseOnlyVerifier())
    paused, done = (team.submit(parse_requests(example.read_bytes()))[0] for _ in range(2))
    for result in (paused, done, done):
        team.decide(result.thread_id, "approve")
    assert team.status(done.thread_id).status == "completed"
    return home, {"paused": paused.thread_id, "finished": done.thread_id}


@pytest.mark.parametrize("which", ["paused", "finished"])
@pytest.mark.parametrize(
    "args", [["show"], ["show", "--out"], ["show", "docs/runbook.md"], ["status"]], ids=" ".join
)
def test_show_and_status_of_a_request_at_rest_run_no_graph(
    tmp_path: Path, at_rest: tuple[Path, dict[str, str]], which: str, args: list[str]
) -> None:
    home, threads = at_rest
    command = [args[0], threads[which], *args[1:]]
    if command[-1] == "--out":
        command.append(str(tmp_path / "bundle"))
    code, out, tops, parses = probe(home, *command)
    assert code == 0, out
    assert [t for t in tops if t not in LIGHT] == [], f"opsteam {' '.join(args)} imported {tops}"
    assert parses == 1
    if "--out" in args:
        assert (tmp_path / "bundle" / "manifest.json").is_file()
    elif args == ["show"]:
        assert "docs/runbook.md" in out and "Site Reliability Engineer" in out
