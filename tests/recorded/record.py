"""Re-record the real tool output the parser tests read (run from the repository root).

    .venv/bin/python tests/recorded/record.py

promtool: ``promtool test rules monitoring/<case>.test.yml`` in tests/recorded/promtool, saved
as promtool/<case>.json ({"rc", "stdout", "stderr"}). tests/test_promtests.py also re-runs them
with the installed promtool (``-m validators``) and checks the parser reads both the same way.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent


def record_promtool() -> None:
    root = HERE / "promtool"
    for test in sorted((root / "monitoring").glob("*.test.yml")):
        case = test.name.removesuffix(".test.yml")
        done = subprocess.run(
            ["promtool", "test", "rules", f"monitoring/{test.name}"],
            cwd=root, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        out = {"rc": done.returncode, "stdout": done.stdout, "stderr": done.stderr}
        (root / f"{case}.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    record_promtool()
