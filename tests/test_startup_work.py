"""What ``opsteam approve`` does from a new process: no role playbook it will not run, and the
garbage collector back to normal once the start-up is done (timings live in bench/).

Each run is the real entry point in a fresh interpreter that reports, on exit, which role
modules it imported and the collector's state.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from opsteam.application.service import Opsteam
from opsteam.domain.registry import load_registry
from opsteam.interfaces import startup
from tests.fakes import ParseOnlyVerifier
from tests.team import past_design_review

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ROLE_PACKAGES = ("automation", "dba", "network", "sysadmin")
PROBE = f"""
ROLE_PACKAGES = {ROLE_PACKAGES!r}
import atexit, gc, json, sys

def report():
    roles = sorted(m for m in sys.modules if m.startswith("opsteam.agents.")
                   and m.split(".")[2] in ROLE_PACKAGES)
    state = {{"roles": roles, "threshold": gc.get_threshold(), "frozen": gc.get_freeze_count()}}
    sys.stderr.write("PROBE " + json.dumps(state) + "\\n")

atexit.register(report)
sys.argv = ["opsteam", *sys.argv[1:]]
from opsteam.interfaces.cli.app import main
main()
"""


def probe(home: Path, *args: str) -> tuple[int, dict[str, object]]:
    env = {**os.environ, "OPSTEAM_HOME": str(home), "OPSTEAM_USER": "alice", "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    line = next(x for x in proc.stderr.splitlines() if x.startswith("PROBE "))
    return proc.returncode, json.loads(line.removeprefix("PROBE "))


def paused_at_production_change(home: Path) -> str:
    from opsteam.intake import parse_requests

    path = EXAMPLES / "prod-postgres-ha.yaml"
    [request] = parse_requests(path.read_bytes(), path.name)
    team = Opsteam(home=home, registry=load_registry(), verifier=ParseOnlyVerifier())
    [result] = team.submit([request])
    result = past_design_review(team, result)
    assert [p.id for p in result.pending] == ["production-change"]
    return result.thread_id


def test_approving_the_production_change_imports_no_role_playbook(tmp_path: Path) -> None:
    """Every role has worked before the last checkpoint: resuming there runs the gate and the
    report, so importing the five playbooks (and their templates' helpers) is wasted start-up."""
    home = tmp_path / "home"
    thread = paused_at_production_change(home)
    code, state = probe(home, "approve", thread, "--all", "--reason", "window agreed")
    assert code == 0
    assert state["roles"] == []
    # The collector runs with its usual thresholds once the team is loaded, and what start-up
    # built is frozen out of every later collection.
    assert tuple(state["threshold"]) == gc.get_threshold()  # type: ignore[arg-type]
    assert isinstance(state["frozen"], int) and state["frozen"] > 10_000


def test_a_command_that_never_settles_still_collects(tmp_path: Path) -> None:
    """``roster`` loads no team: it ends with the start-up thresholds, which still collect."""
    code, state = probe(tmp_path / "home", "roster")
    assert code == 0
    threshold = state["threshold"]
    assert isinstance(threshold, list) and threshold[0] > 0
    assert threshold != list(gc.get_threshold())
    assert state["frozen"] == 0


def test_settled_restores_the_thresholds_it_found() -> None:
    before = gc.get_threshold()
    try:
        startup.starting()
        assert gc.get_threshold()[0] > before[0]
        startup.settled()
        assert gc.get_threshold() == before
        assert gc.get_freeze_count() > 0
        startup.settled()  # a second call changes nothing
        assert gc.get_threshold() == before
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_start_up_skips_the_pydantic_plugin_scan_unless_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = gc.get_threshold()
    try:
        for given, kept in ((None, "__all__"), ("0", "0")):
            if given is None:
                monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS", raising=False)
            else:
                monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", given)
            startup.starting()
            assert os.environ["PYDANTIC_DISABLE_PLUGINS"] == kept
            startup.settled()
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
