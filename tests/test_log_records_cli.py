"""Log records are a way out too: with debug logging on, the installed CLI's stderr holds no
roster ID and no secret, whatever the request and the decision said (generated inputs)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.cli_runs import run_opsteam

pytestmark = pytest.mark.slow
ANY_ID = re.compile(r"(?<![A-Za-z0-9])INF[\s_-]?00[1-6](?![0-9])", re.IGNORECASE)
ROSTER_ID = st.sampled_from([f"INF-00{i}" for i in range(1, 7)]).map(
    lambda i: i.lower() if i.endswith(("2", "4")) else i
)
CORE = st.text(alphabet="abcdefghijkmnpqrstuvwxyz23456789", min_size=12, max_size=12)


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_opsteam(home, *args, env={"OPSTEAM_LOG": "DEBUG", "OPSTEAM_DIAGRAMS": "false"})


@given(ids=st.lists(ROSTER_ID, min_size=2, max_size=2), core=CORE)
@settings(
    max_examples=2,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_debug_logs_of_a_run_and_a_decision_leak_nothing(
    tmp_path_factory: pytest.TempPathFactory, ids: list[str], core: str
) -> None:
    root = tmp_path_factory.mktemp("logs")
    secret = f"postgresql://app:{core}@db.internal:5432/app"
    request = {
        "request": f"Redis cache for {ids[0]} review",
        "type": "New",
        "component": "Cache",
        "description": f"A Redis cache in dev; ask {ids[1]}. Old DSN {secret}",
        "justification": "Reads dominate.",
        "timeline": "this sprint",
        "impact": "none",
        "requester": "alice",
        "environment": "dev",
    }
    path = root / "request.json"
    path.write_text(json.dumps(request), encoding="utf-8")
    submitted = _cli(root / "home", "submit", str(path), "--json")
    assert submitted.returncode in (0, 3), submitted.stderr[-2000:]
    logs = submitted.stderr
    if submitted.returncode == 3:
        thread = json.loads(submitted.stdout)["thread_id"]
        decided = _cli(
            root / "home", "approve", thread, "--all", "--reason", f"{ids[0]} said {secret}"
        )
        logs += decided.stderr
    assert "DEBUG" in logs or "debug" in logs.lower()  # the records were really written
    assert core not in logs
    assert not ANY_ID.search(logs), ANY_ID.search(logs)
