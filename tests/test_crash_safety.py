"""kill -9 at every node of the request graph and at every step of the end of a run.

Each trial forks a real process that submits a request and approves its checkpoints, and
dies (SIGKILL, through the fault hook) at one named point. The request is then driven to its
end the way a person would (``resume``, ``approve``): it completes with the same bundle bytes
as a run never killed, exactly one history row each, the deciders the same in state and
history, and no staging folder left behind. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsteam.application.results import RunResult
from opsteam.application.service import Opsteam
from opsteam.domain.errors import ConflictError
from opsteam.graphs.state import RequestState
from opsteam.intake import parse_requests
from tests.crash import KILLED, approvers, bundle_bytes, history_counts, run_killed_at
from tests.fakes import ParseOnlyVerifier

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FIXED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WEB = "web-existing-cluster.yaml"  # every node but the database administrator's
SCHEMA = "schema-migration.yaml"  # the database administrator's, and a checkpoint
NODES = (
    "intake", "scope", "architect", "checkpoint", "design_review", "systems-administrator",
    "network-engineer", "automation-engineer", "site-reliability-engineer", "verify_iac",
    "plan", "verify_ops", "change_gate", "report",
)  # fmt: skip
END = ("decision-claimed", "bundle-write", "bundle-written", "history-write", "history-written")
TRIALS = [(f"node:{n}", WEB) for n in NODES] + [("node:database-administrator", SCHEMA)]
TRIALS += [(point, WEB) for point in END]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        monkeypatch.setenv("OPSTEAM_CHECKPOINT_URL", url)
        monkeypatch.setenv("OPSTEAM_DATABASE_URL", url)
    yield request.param


def team_at(home: Path) -> Opsteam:
    return Opsteam(home=home, verifier=ParseOnlyVerifier(), clock=lambda: FIXED)


def run_through(team: Opsteam, example: str, out: Path, thread_id: str) -> RunResult:
    """Submit, then approve every checkpoint (as one uninterrupted person would)."""
    requests = parse_requests((EXAMPLES / example).read_bytes())
    result = team.submit(requests, out=out, thread_ids=[thread_id])[0]
    while result.status == "awaiting-approval":
        result = team.decide(thread_id, "approve", all_pending=True, by="alice")
    return result


def drive_to_end(team: Opsteam, thread_id: str) -> RunResult:
    """After a crash, what a person does: resume, approve what waits, until it has finished."""
    for _ in range(10):
        try:
            result = team.resume(thread_id)
        except ConflictError as exc:
            if "already finished" in str(exc):
                return team.status(thread_id)
            if "waiting for a decision" not in str(exc):
                raise
            result = team.decide(thread_id, "approve", all_pending=True, by="alice")
        assert result.status in ("completed", "awaiting-approval"), result.summary
    raise AssertionError("the request never finished")


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    """The bundle of each request from a run never killed (its own home, SQLite)."""
    bundles = {}
    for example in (WEB, SCHEMA):
        root = tmp_path_factory.mktemp("reference")
        done = run_through(team_at(root / "home"), example, root / "bundle", "chg-reference")
        assert done.status == "completed"
        bundles[example] = bundle_bytes(root / "bundle")
    return bundles


@pytest.mark.parametrize(("point", "example"), TRIALS, ids=[p for p, _ in TRIALS])
def test_a_run_killed_at_any_point_completes_with_the_same_bundle_and_history(
    point: str,
    example: str,
    backend: str,
    tmp_path: Path,
    reference: dict[str, dict[str, bytes]],
) -> None:
    del backend  # the environment now names the databases
    team = team_at(tmp_path / "home")
    out = tmp_path / "bundle"
    thread_id = f"chg-kill-{abs(hash((point, str(tmp_path)))) % 10**10:010d}"

    code = run_killed_at(point, lambda: run_through(team, example, out, thread_id))
    assert code == KILLED, f"the process was not killed at {point}"

    done = drive_to_end(team_at(tmp_path / "home"), thread_id)
    assert done.status == "completed"
    assert bundle_bytes(out) == reference[example]
    assert not [p.name for p in tmp_path.iterdir() if "opsteam-staging" in p.name]
    state: RequestState = team.state(thread_id)
    counts = history_counts(team.home, thread_id)
    assert counts == {"requests": 1, "changes": 1, "approvals": len(state.decisions)}
    assert approvers(team.home, thread_id) == sorted((d.checkpoint, d.by) for d in state.decisions)
    with pytest.raises(ConflictError, match="already finished"):
        team.resume(thread_id)


def test_a_bundle_asked_for_at_approval_survives_a_kill_there(tmp_path: Path) -> None:
    """``approve --out`` killed while writing: resume without --out still writes it there."""
    team = team_at(tmp_path / "home")
    request = parse_requests((EXAMPLES / SCHEMA).read_bytes())
    [paused] = team.submit(request)
    out = tmp_path / "asked-at-approval"

    def approve() -> RunResult:
        result = paused
        while result.status == "awaiting-approval":
            result = team.decide(paused.thread_id, "approve", all_pending=True, by="dba", out=out)
        return result

    assert run_killed_at("bundle-write", approve) == KILLED
    done = drive_to_end(team_at(tmp_path / "home"), paused.thread_id)
    assert done.status == "completed" and (out / "manifest.json").exists()
    assert {d.by for d in team.state(paused.thread_id).decisions} == {"dba"}
    assert not [p.name for p in tmp_path.iterdir() if "opsteam-staging" in p.name]
