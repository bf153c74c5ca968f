"""A fault-injection hook for crash tests: ``kill -9`` of this process at a named point.

``OPSTEAM_FAULT_KILL_AT=POINT`` (unset in normal use) makes the process send itself SIGKILL
when it reaches POINT, so a test can prove that a run killed there is completed later.
Points: ``node:NAME`` (a graph node starts), ``decision-claimed``, ``bundle-write`` (staged,
not yet in place), ``bundle-written``, ``history-write`` (inside the transaction) and
``history-written``.
"""

from __future__ import annotations

import os
import signal
from typing import Any

ENV = "OPSTEAM_FAULT_KILL_AT"


def kill_point(point: str) -> None:
    """Die here, as ``kill -9`` would, when the environment names this point."""
    if os.environ.get(ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)


def task_started(task: Any) -> None:
    """A graph task event (``stream_mode="tasks"``): its start is the point ``node:NAME``."""
    if ENV in os.environ and isinstance(task, dict) and "input" in task:
        kill_point(f"node:{task.get('name')}")
