"""``opsteam show``, ``--out`` honoured later, fail-fast arguments, and a real killed CLI.

Real ``opsteam`` processes (real validators): a bundle target given at submit is announced,
then written by the process that finishes the request; an approval killed while writing the
bundle is completed by the next command; ``show`` lists, prints and rewrites the bundle.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsteam.application.service import Opsteam
from opsteam.domain.errors import ConflictError
from opsteam.intake import parse_requests
from tests.cli_runs import run_opsteam
from tests.crash import KILLED, bundle_bytes, history_counts
from tests.fakes import ParseOnlyVerifier

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
OPSTEAM = Path(sys.executable).with_name("opsteam")
FIXED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def run(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_opsteam(home, *args, user="tester", env=env)


def test_submit_into_a_folder_of_other_files_fails_before_any_work(tmp_path: Path) -> None:
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine\n")
    home = tmp_path / "home"
    proc = run(home, "submit", str(EXAMPLES / "redis-cache-dev.yaml"), "--out", str(taken))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "not an opsteam bundle" in proc.stderr
    assert not home.exists()  # nothing stored
    assert sorted(p.name for p in taken.iterdir()) == ["notes.txt"]


@pytest.mark.slow
@pytest.mark.validators
def test_a_killed_approval_is_completed_by_the_next_command(
    tmp_path: Path, tools_installed: None
) -> None:
    home, bundle = tmp_path / "home", tmp_path / "bundle"
    first = run(home, "submit", str(EXAMPLES / "redis-cache-dev.yaml"), "--out", str(bundle))
    assert first.returncode == 3, first.stderr
    assert f"will be written to {bundle}" in first.stdout
    thread = first.stdout.split("thread ", 1)[1].split()[0]

    killed = run(home, "approve", thread, "--by", "alice", OPSTEAM_FAULT_KILL_AT="bundle-write")
    assert killed.returncode == KILLED, killed.stderr
    assert not (bundle / "manifest.json").exists()
    assert [p for p in tmp_path.iterdir() if "opsteam-staging" in p.name]

    shown = run(home, "status", thread, "--json")  # the next command completes the run
    assert shown.returncode == 0 and json.loads(shown.stdout)["status"] == "completed"
    assert (bundle / "manifest.json").exists()
    assert not [p for p in tmp_path.iterdir() if "opsteam-staging" in p.name]
    assert history_counts(home, thread) == {"requests": 1, "changes": 1, "approvals": 1}

    again = run(home, "show", thread, "--out", str(tmp_path / "again"))
    assert again.returncode == 0, again.stderr
    assert bundle_bytes(tmp_path / "again") == bundle_bytes(bundle)
    finished = run(home, "resume", thread)
    assert finished.returncode == 2 and "already finished" in finished.stderr

    listing = run(home, "show", thread)
    assert listing.returncode == 0 and "docs/runbook.md" in listing.stdout
    one = run(home, "show", thread, "docs/runbook.md")
    assert one.returncode == 0
    assert one.stdout.rstrip("\n") == (bundle / "docs" / "runbook.md").read_text().rstrip("\n")
    missing = run(home, "show", thread, "no/such.tf")
    assert missing.returncode == 2 and "no/such.tf: no such file" in missing.stderr


def test_show_writes_the_files_of_a_paused_request_and_refuses_none(tmp_path: Path) -> None:
    team = Opsteam(home=tmp_path / "home", verifier=ParseOnlyVerifier(), clock=lambda: FIXED)
    request = parse_requests((EXAMPLES / "prod-postgres-ha.yaml").read_bytes())
    [design] = team.submit(request)
    with pytest.raises(ConflictError, match="has no files yet"):
        team.show(design.thread_id, out=tmp_path / "nothing")
    paused = team.decide(design.thread_id, "approve", by="alice")
    assert [p.id for p in paused.pending] == ["production-change"]
    result, artifacts = team.show(paused.thread_id, out=tmp_path / "review")
    assert result.status == "awaiting-approval" and artifacts
    written = bundle_bytes(tmp_path / "review")
    assert {a.path for a in artifacts} | {"manifest.json"} == set(written)

    done = team.decide(paused.thread_id, "approve", by="bob", out=tmp_path / "final")
    assert done.status == "completed"
    team.show(done.thread_id, out=tmp_path / "rewritten")
    assert bundle_bytes(tmp_path / "rewritten") == bundle_bytes(tmp_path / "final")


def test_a_bundle_target_given_at_submit_is_written_by_another_process(tmp_path: Path) -> None:
    request = parse_requests((EXAMPLES / "prod-postgres-ha.yaml").read_bytes())
    first = Opsteam(home=tmp_path / "a", verifier=ParseOnlyVerifier(), clock=lambda: FIXED)
    [paused] = first.submit(request, out=tmp_path / "bundle")
    assert paused.bundle_target == str((tmp_path / "bundle").resolve())
    other = Opsteam(home=tmp_path / "a", verifier=ParseOnlyVerifier(), clock=lambda: FIXED)
    result = other.decide(paused.thread_id, "approve", by="alice")
    assert result.bundle_target == paused.bundle_target  # still said while paused
    done = other.decide(paused.thread_id, "approve", by="bob")
    assert done.bundle == paused.bundle_target and done.bundle_target is None
    assert (tmp_path / "bundle" / "manifest.json").exists()


def test_a_bad_bundle_target_stores_nothing(tmp_path: Path) -> None:
    from opsteam.application.listing import recent_threads
    from opsteam.domain.errors import InputError

    team = Opsteam(home=tmp_path / "home", verifier=ParseOnlyVerifier(), clock=lambda: FIXED)
    request = parse_requests((EXAMPLES / "redis-cache-dev.yaml").read_bytes())
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    with pytest.raises(InputError, match="is a file"):
        team.submit(request, out=a_file)
    with pytest.raises(InputError, match="is a file, not a folder"):
        team.submit(request, out=a_file / "bundle")
    assert recent_threads(team.home) == []
