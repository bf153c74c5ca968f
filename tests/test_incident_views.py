"""What people see: the acceptance-review gaps of issue 4, each pinned by a test.

Each CLI invocation opens its own store and checkpointer, as a separate process would.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_incident_cli import OPEN, failing, snapshot
from test_incident_flow import Cli, iso
from typer.testing import CliRunner, Result


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPSTEAM_DATABASE_URL", "OPSTEAM_CHECKPOINT_URL", "OPSTEAM_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "80")


def text(cli: Cli, *args: str, code: int = 0) -> str:
    """Human (Rich) output of one command, checked for exit code and tracebacks."""
    result: Result = CliRunner().invoke(cli.app, [*args, "--home", str(cli.home)])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert not re.search(r"INF-\d", result.output)
    return result.output


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "home")


def test_repeating_the_current_status_is_refused_and_changes_nothing(cli: Cli) -> None:
    iid = cli(*OPEN, "--now", iso(1), code=3)["id"]
    cli("incident", "update", iid, "--status", "Fixing", "--now", iso(2), code=3)
    failing(
        cli,
        "incident",
        "update",
        iid,
        "--status",
        "fixing",
        "--now",
        iso(3),
        message="nothing to update: status is already Fixing",
    )
    # a real change next to a repeated value still goes through and sends one update
    changed = cli(
        "incident", "update", iid, "--status", "Fixing", "--impact", "x", "--now", iso(4), code=3
    )
    assert len(changed["sent"]) == 1 and "IMPACT: x\n" in changed["sent"][0]


def test_only_updates_sent_by_this_command_are_printed(cli: Cli) -> None:
    opened = cli(*OPEN, "--now", iso(1), code=3)
    iid = opened["id"]
    assert len(opened["sent"]) == 1 and opened["sent"][0].startswith(f"INCIDENT: {iid} ")
    decided = text(
        cli, "incident", "update", iid, "--decision", "fail over", "--by", "Dana", "--now", iso(2)
    )
    assert "Human decision by Dana: fail over" in decided
    assert "Incident update recorded" not in decided and "STATUS:" not in decided
    ticked = cli("incident", "tick", "--now", iso(31))
    assert ticked[0]["sent"] == []
    assert ticked[0]["events"] == [
        "Escalated to Systems Administrator (secondary, 15-30 min)",
        "Escalated to Database Administrator (component-owner, 30-60 min)",
    ]
    assert ticked[0]["held_by"] == "Database Administrator"
    tick_text = text(cli, "incident", "tick", "--now", iso(32))
    assert f"{iid}: P1 Investigating" in tick_text
    assert "held by Database Administrator (component-owner)" in tick_text


def test_list_keeps_ids_whole_and_show_prints_every_update(cli: Cli) -> None:
    iid = cli(*OPEN, "--now", iso(1), code=3)["id"]
    cli("incident", "update", iid, "--status", "Identified", "--now", iso(2), code=3)
    listed = text(cli, "incident", "list")
    assert iid in listed
    assert "…" not in listed
    shown = text(cli, "incident", "show", iid)
    assert shown.count("COMMANDER: Site Reliability Engineer") == 2
    assert "STATUS: Investigating" in shown and "STATUS: Identified" in shown
    assert "eta: -" in shown and "None" not in shown


def _resolve(iid: str, decision: str, at: str) -> tuple[str, ...]:
    """``incident resolve`` of a full disk, decided by Dana."""
    return (
        "incident", "resolve", iid, "--root-cause", "disk full", "--decision", decision,
        "--by", "Dana", "--now", at,
    )  # fmt: skip


def test_resolve_prints_where_the_postmortem_was_written(cli: Cli) -> None:
    iid = cli(*OPEN, "--now", iso(1), code=3)["id"]
    out = text(cli, *_resolve(iid, "close it, the database is back", iso(20)))
    assert "Human decision by Dana at resolution (pending: major incident" in out
    path = cli.home / "postmortems" / f"{iid}.md"
    assert f"Postmortem written to {path}" in out
    assert "STATUS: Resolved" in out and path.is_file()


def test_service_slug_error_is_readable(cli: Cli) -> None:
    args = [a if a != "billing" else "Billing DB!" for a in OPEN]
    failing(cli, *args, message="'Billing DB!' is not a service slug")


def test_home_that_is_a_file_is_bad_input(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "home")
    cli.home.write_text("not a directory")
    out = text(cli, "incident", "list", code=2)
    assert (
        out.strip() == f"error: home: cannot use {cli.home} as the data directory (not a directory)"
    )
    assert cli.home.read_text() == "not a directory"
    assert snapshot(tmp_path) == {}


def test_wording_says_what_happened_and_durations_read_as_minutes(cli: Cli) -> None:
    opened = text(cli, *OPEN, "--now", iso(1), code=3)
    assert "Incident update recorded:" in opened and "update sent" not in opened
    iid = re.search(r"inc-[0-9a-f]+", opened)
    assert iid is not None
    out = text(cli, *_resolve(iid.group(0), "close it", iso(18.31)))
    assert "| Time to recover | 18 min |" in out, out  # detected at minute 0
    assert not re.search(r"\d\.\d+ min", out)


def test_list_says_resolved_ones_exist_and_all_shows_them(cli: Cli) -> None:
    iid = cli(*OPEN, "--now", iso(1), code=3)["id"]
    cli(*_resolve(iid, "close it", iso(5)))
    listed = text(cli, "incident", "list")
    assert iid not in listed
    assert "No open incidents" in listed and "incident list --all" in listed
    assert iid in text(cli, "incident", "list", "--all")


def test_durations_people_read() -> None:
    from opsteam.agents.sre.comms import duration_text

    assert duration_text(0.308403) == "under 1 min"
    assert duration_text(18.4) == "18 min"
    assert duration_text(119.6) == "2 h"
    assert duration_text(185) == "3 h 5 min"
