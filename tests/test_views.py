"""What people read: narrow terminals, copyable IDs, hints, and no obeyed control codes."""

from __future__ import annotations

from typing import Any

import pytest

from opsteam.interfaces.cli.views import roster_view, run_view, runs_view
from tests.exits import emit, emit_error

THREAD = "chg-0123456789ab"


def _run(**extra: Any) -> dict[str, Any]:
    return {
        "thread_id": THREAD,
        "status": "awaiting-approval",
        "request": "Payments database with a webhook from the card processor",
        "environment": "prod",
        "summary": "Waiting for approval",
        "pending": [
            {"id": "customer-schema-change", "name": "Schema", "reason": "r", "round": 1},
            {"id": "external-integration", "name": "Integration", "reason": "r", "round": 1},
        ],
        **extra,
    }


@pytest.fixture(autouse=True)
def narrow(monkeypatch: pytest.MonkeyPatch) -> None:
    """An 80-column terminal (a pipe gets records, one per line: tests/test_cli_output.py)."""
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr("opsteam.interfaces.output.to_terminal", lambda: True)


def test_the_request_list_keeps_ids_whole_at_80_columns(
    capsys: pytest.CaptureFixture[str],
) -> None:
    emit([_run()], as_json=False, render=runs_view)
    out = capsys.readouterr().out
    assert all(len(line) <= 80 for line in out.splitlines())
    assert THREAD in out and "awaiting-approval" in out
    assert "customer-schema-change" in out and "external-integration" in out


def test_several_pending_checkpoints_offer_one_by_one_or_all(
    capsys: pytest.CaptureFixture[str],
) -> None:
    emit(_run(), as_json=False, render=run_view)
    out = capsys.readouterr().out
    assert f"opsteam approve {THREAD} --checkpoint customer-schema-change" in out
    assert f"opsteam approve {THREAD} --all" in out


def test_decisions_show_a_readable_time_and_a_finished_run_its_next_step(
    capsys: pytest.CaptureFixture[str],
) -> None:
    decision = {
        "round": 1,
        "checkpoint": "production-change",
        "verdict": "approve",
        "by": "alice",
        "at": "2026-11-22T20:19:41.661804Z",
        "reason": "window agreed",
    }
    emit(
        _run(status="completed", pending=[], decisions=[decision]),
        as_json=False,
        render=run_view,
    )
    out = capsys.readouterr().out
    assert "2026-11-22" in out and "20:19:41" in out and ".661804" not in out
    assert f"opsteam outcome {THREAD} succeeded|failed|rolled-back" in out
    assert "round" not in out  # a single round needs no round column


def test_control_characters_are_shown_not_obeyed(capsys: pytest.CaptureFixture[str]) -> None:
    emit(_run(request="evil \x1b[2J\x1b]0;title\x07 name"), as_json=False, render=run_view)
    emit_error(["bad \x1b[31mred"])
    captured = capsys.readouterr()
    assert "\x1b" not in captured.out and "\x07" not in captured.out
    assert "\\x1b[2J" in captured.out
    assert captured.err == "error: bad \\x1b[31mred\n"


def test_roster_slugs_are_not_broken_at_80_columns(capsys: pytest.CaptureFixture[str]) -> None:
    role = {
        "name": "Site Reliability Engineer",
        "slug": "site-reliability-engineer",
        "specialty": "Reliability, monitoring",
        "primary_responsibility": "Monitoring, SLOs, incident response, on-call",
    }
    data = {"team": "Team", "lead": "Lead", "mission": "Mission", "roles": [role]}
    emit(data, as_json=False, render=roster_view)
    out = capsys.readouterr().out
    assert "site-reliability-engineer" in out
    assert all(len(line) <= 80 for line in out.splitlines())
