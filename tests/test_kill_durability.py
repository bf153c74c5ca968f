"""A process killed with SIGKILL mid-run loses nothing the checkpointer had committed.

The checkpoint file runs in WAL mode with synchronous=NORMAL and the service writes with
durability="sync" (docs/architecture.md, "Checkpoint durability"): every finished step is
committed before the next starts. Here a process approves a design and is killed (SIGKILL,
no clean-up of any kind) while the automation engineer's files are being verified; another
process then finds the approval and every finished step, resumes, and ends exactly where an
uninterrupted run ends.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from opsteam.application.service import Opsteam
from opsteam.intake import parse_requests
from tests.fakes import ParseOnlyVerifier

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "prod-postgres-ha.yaml"

# Submits, approves the design, and SIGKILLs itself when the Terraform is being verified.
KILLED = """
import os, signal, sys
from pathlib import Path
sys.path.insert(0, {root!r})
from opsteam.application.service import Opsteam
from opsteam.intake import parse_requests
from tests.fakes import ParseOnlyVerifier

class KilledWhileVerifying(ParseOnlyVerifier):
    def __call__(self, artifacts):
        if any(a.path.startswith("terraform/") for a in artifacts):
            os.kill(os.getpid(), signal.SIGKILL)
        return super().__call__(artifacts)

team = Opsteam(home=Path(sys.argv[1]), verifier=KilledWhileVerifying())
[result] = team.submit(parse_requests(Path({example!r}).read_bytes()))
print(result.thread_id, flush=True)
team.decide(result.thread_id, "approve", all_pending=True, by="architecture-board")
"""


def uninterrupted(home: Path) -> Opsteam:
    team = Opsteam(home=home, verifier=ParseOnlyVerifier())
    [result] = team.submit(parse_requests(EXAMPLE.read_bytes()))
    team.decide(result.thread_id, "approve", all_pending=True, by="architecture-board")
    return team


def test_a_killed_run_keeps_every_committed_step_and_resumes_to_the_same_end(
    tmp_path: Path,
) -> None:
    home = tmp_path / "killed"
    script = KILLED.format(root=str(ROOT), example=str(EXAMPLE))
    proc = subprocess.run(
        [sys.executable, "-c", script, str(home)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    thread_id = proc.stdout.split()[0]

    team = Opsteam(home=home, verifier=ParseOnlyVerifier())  # another process's view
    state = team.state(thread_id)
    assert [(d.checkpoint, d.verdict, d.by) for d in state.decisions] == [
        ("architecture-change", "approve", "architecture-board")
    ]
    assert "automation-engineer" in state.worked  # the step before the kill is kept
    assert state.artifacts["automation-engineer"]
    assert state.validations.get("automation-engineer", []) == []  # the killed step is not

    resumed = team.resume(thread_id)
    assert [p.id for p in resumed.pending] == ["production-change"]
    control = uninterrupted(tmp_path / "control")
    [done] = control.threads(1)
    expected = control.state(done.thread_id)
    final = team.state(thread_id)
    assert [(a.path, a.content) for a in final.all_artifacts()] == [
        (a.path, a.content) for a in expected.all_artifacts()
    ]
    assert final.all_validations() == expected.all_validations()
