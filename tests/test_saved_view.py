"""``show`` and ``status`` of a request at rest read the view saved with its history row.

The view must give exactly what the checkpoints give (the same result, the same files, a
bundle of the same bytes), and must never be read when it may be stale: a run that starts
clears it, a run killed before it settles leaves none (status and view are one transaction),
another roster, or a file's bytes gone, send the command back to the checkpoints.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from opsteam.application.blobs import digest
from opsteam.application.db import clear_view, open_store
from opsteam.application.saved import read_view, saved_result, show_saved
from opsteam.application.service import Opsteam
from opsteam.domain.errors import ConflictError
from opsteam.domain.registry import Registry
from opsteam.domain.settings import database_url, load_settings
from opsteam.intake import parse_requests
from tests.crash import KILLED, bundle_bytes, run_killed_at
from tests.fakes import ParseOnlyVerifier
from tests.rosters import internal_ids, load_custom

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PROD = EXAMPLES / "prod-postgres-ha.yaml"


def _team(home: Path, registry: Registry | None = None) -> Opsteam:
    return Opsteam(home, registry, verifier=ParseOnlyVerifier())


def _submit(team: Opsteam) -> str:
    request = parse_requests(PROD.read_bytes(), PROD.name)[0]
    return team.submit([request])[0].thread_id


def _forget_view(home: Path, thread_id: str) -> None:
    """As a row written before the view existed (or a run cut short) leaves it."""
    with open_store(url=database_url(home, load_settings())) as store:
        clear_view(store, thread_id)


def _fast(team: Opsteam, thread_id: str, out: Path | None = None) -> object:
    return show_saved(team.home, team.settings, team.registry, thread_id, out)


def _both_ways(team: Opsteam, thread_id: str, tmp_path: Path, name: str) -> None:
    """The saved view and the checkpoints give the same result, files and bundle bytes."""
    fast_out, graph_out = tmp_path / f"{name}-fast", tmp_path / f"{name}-graph"
    fast = show_saved(team.home, team.settings, team.registry, thread_id)
    assert fast is not None, "a settled request at rest has a saved view"
    fast_status = saved_result(team.home, team.settings, team.registry, thread_id)
    has_files = bool(fast[1])
    if has_files:
        written = _fast(team, thread_id, fast_out)
        assert written is not None
    _forget_view(team.home, thread_id)
    assert _fast(team, thread_id) is None  # no view: the checkpoints say it
    graph = team.show(thread_id)  # read from the checkpoints, and the view saved again
    assert _fast(team, thread_id) is not None
    _forget_view(team.home, thread_id)
    graph_status = team.status(thread_id)
    assert fast[0].model_dump(mode="json") == graph[0].model_dump(mode="json")
    assert fast_status == graph_status == graph[0]
    assert fast[1] == graph[1]
    if not has_files:
        _forget_view(team.home, thread_id)
        with pytest.raises(ConflictError, match="no files yet"):
            team.show(thread_id, out=graph_out)
        with pytest.raises(ConflictError, match="no files yet"):
            _fast(team, thread_id, fast_out)
        return
    _forget_view(team.home, thread_id)
    assert team.show(thread_id, out=graph_out)[0].bundle == str(graph_out.resolve())
    assert bundle_bytes(fast_out) == bundle_bytes(graph_out)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_paused_and_a_finished_request_show_the_same_from_the_view_and_the_checkpoints(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend == "postgres":
        url = request.getfixturevalue("postgres_url")
        monkeypatch.setenv("OPSTEAM_CHECKPOINT_URL", url)
        monkeypatch.setenv("OPSTEAM_DATABASE_URL", url)
    team = _team(tmp_path / "home")
    thread = _submit(team)
    _both_ways(team, thread, tmp_path, "design")  # paused at the architecture checkpoint
    assert team.decide(thread, "approve").status == "awaiting-approval"
    _both_ways(team, thread, tmp_path, "gate")  # paused at the production change, files
    assert team.decide(thread, "approve").status == "completed"
    _both_ways(team, thread, tmp_path, "done")


def test_a_decision_killed_before_it_settles_is_shown_from_the_checkpoints(
    tmp_path: Path,
) -> None:
    """The run moved the checkpoint on; the row still holds the earlier pause, never shown."""
    home = tmp_path / "home"
    first = _team(home)
    thread = _submit(first)
    before = saved_result(home, first.settings, first.registry, thread)
    assert before is not None and before.pending[0].id == "architecture-change"

    def approve() -> None:
        _team(home).decide(thread, "approve")

    assert run_killed_at("history-write", approve) == KILLED  # inside the history transaction
    team = _team(home)
    assert read_view(home, team.settings, thread) is None  # the run cleared it; no new one
    shown = team.show(thread)[0]
    assert [p.id for p in shown.pending] == ["production-change"]  # the checkpoints' word
    assert saved_result(home, team.settings, team.registry, thread) == shown  # settled now


def test_a_run_killed_mid_step_is_never_shown_as_the_pause_it_left(tmp_path: Path) -> None:
    home = tmp_path / "home"
    thread = _submit(_team(home))

    def approve() -> None:
        _team(home).decide(thread, "approve")

    assert run_killed_at("node:automation-engineer", approve) == KILLED
    team = _team(home)
    assert saved_result(home, team.settings, team.registry, thread) is None
    shown = team.status(thread)
    assert shown.status == "failed" and "opsteam resume" in (shown.error or "")
    assert saved_result(home, team.settings, team.registry, thread) is None  # not at rest


def test_another_roster_reads_the_checkpoints_and_shows_its_own_names(tmp_path: Path) -> None:
    home = tmp_path / "home"
    team = _team(home)
    thread = _submit(team)
    team.decide(thread, "approve")
    custom = load_custom(tmp_path)
    assert show_saved(home, team.settings, custom, thread) is None
    result, _ = _team(home, custom).show(thread)
    names = {r.name for r in custom.roles}
    assert result.team and set(result.team) <= names
    assert not internal_ids(result.model_dump_json())


def test_a_file_whose_bytes_are_gone_is_not_shown_from_the_view(tmp_path: Path) -> None:
    home = tmp_path / "home"
    team = _team(home)
    thread = _submit(team)
    team.decide(thread, "approve")
    _, files = team.show(thread)
    gone = digest(files[0].content.encode("utf-8"))
    with sqlite3.connect(home / "checkpoints.sqlite") as conn:
        conn.execute("DELETE FROM opsteam_blobs WHERE sha256 = ?", (gone,))
    assert show_saved(home, team.settings, team.registry, thread) is None
