"""Start-up without repeated full garbage collections, then collection as usual.

A command that runs a graph imports LangGraph, SQLAlchemy and about 150 pydantic models:
hundreds of thousands of objects that live as long as the process. With the collector's
default thresholds each growth of the heap by a quarter sets off a full collection that walks
all of them again: about 30% of the CPU time of ``opsteam approve`` from a new process. While a
process starts, young collections run less often and full ones not at all; once its imports are
done the start-up objects are frozen (never walked again: they are never garbage) and the
default thresholds come back. A command that never reaches :func:`settled` still collects,
only less often, so nothing can grow without bound.

Pydantic looks for plugins (observability hooks) in every installed package's entry points
when the first model is defined; the command line skips that scan unless
``PYDANTIC_DISABLE_PLUGINS`` is already set (``PYDANTIC_DISABLE_PLUGINS=0`` keeps them).
"""

from __future__ import annotations

import gc
import os

# Young collections every 100,000 net allocations instead of 700; a full one would need 100
# middle ones: none happens during start-up.
_STARTING = (100_000, 50, 100)
_state = {"starting": False}
_DEFAULT = gc.get_threshold()


def starting() -> None:
    """Collect rarely until :func:`settled` (the process's own start, once)."""
    if not _state["starting"]:
        _state["starting"] = True
        gc.set_threshold(*_STARTING)
        os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


def settled() -> None:
    """Imports done: freeze what start-up built and collect with the defaults again."""
    if _state["starting"]:
        _state["starting"] = False
        gc.freeze()
        gc.set_threshold(*_DEFAULT)
