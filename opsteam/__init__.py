"""opsteam: an infrastructure & operations team as a LangGraph multi-agent system.

``opsteam.task(subagent_type, prompt)`` delegates work Task-style (``opsteam.atask`` for async
callers); the names below load on first use, so ``import opsteam`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["TaskResult", "Tasks", "__version__", "atask", "task"]

if TYPE_CHECKING:
    from opsteam.application.task import TaskResult, Tasks, atask, task


def __getattr__(name: str) -> Any:
    if name in ("task", "atask", "TaskResult", "Tasks"):
        from opsteam.application import task as tasks

        return getattr(tasks, name)
    raise AttributeError(f"module 'opsteam' has no attribute {name!r}")
