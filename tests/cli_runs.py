"""The installed ``opsteam`` binary run as a user would, in a data home of the test's own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

OPSTEAM = Path(sys.executable).with_name("opsteam")


def run_opsteam(
    home: Path, *args: str, user: str = "alice", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """One real process (exit code, stdout and stderr as the user sees them)."""
    environment = {**os.environ, "OPSTEAM_HOME": str(home), "OPSTEAM_USER": user, **(env or {})}
    return subprocess.run(
        [str(OPSTEAM), *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=600,
        check=False,
    )


def opsteam_json(home: Path, *args: str, user: str = "alice") -> dict[str, Any]:
    """``--json`` output of a command that completed (0) or paused at a checkpoint (3)."""
    proc = run_opsteam(home, *args, "--json", user=user)
    assert proc.returncode in (0, 3), proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data
