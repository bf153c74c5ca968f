"""Peak resident memory of the current process, reported on stderr when it exits.

Read from ``VmHWM`` (the high-water mark of this program's own memory): ``ru_maxrss`` of a child
would also count the parent it was forked from.
"""

from __future__ import annotations

import atexit
import sys

MARK = "PEAK-KB "


def report_at_exit() -> None:
    atexit.register(_report)


def _report() -> None:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                sys.stderr.write(f"{MARK}{line.split()[1]}\n")


def read(stderr: str) -> int:
    """Bytes, from the mark a probed process left on its stderr."""
    kb = next(line for line in stderr.splitlines() if line.startswith(MARK))
    return int(kb.removeprefix(MARK)) * 1024
