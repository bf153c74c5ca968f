"""The README's quick tour is what the tool really prints: every command of the tour runs, in
order, in a fresh home, and every ``#  ...`` line under a command is found in its output
(``...`` elides; the example thread id stands for the real one).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OPSTEAM = Path(sys.executable).with_name("opsteam")
EXAMPLE_THREAD = "chg-1a2b3c4d5e6f"

pytestmark = pytest.mark.slow

Step = tuple[list[str], list[str]]


def tour() -> list[Step]:
    """(command words, expected output lines) of each command in the README's quick tour."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Quick tour") :]
    block = section[section.index("```bash\n") + 8 : section.index("\n```\n")]
    steps: list[Step] = []
    for line in block.splitlines():
        if line.startswith("#  "):
            steps[-1][1].append(line[3:].strip())
        elif line.strip() and not line.startswith("#"):
            steps.append((shlex.split(line, comments=True), []))
    return steps


def expected(line: str, thread: str) -> re.Pattern[str]:
    parts = [re.escape(p) for p in line.replace(EXAMPLE_THREAD, thread).split("...")]
    return re.compile(r"\s+".join(".*?".join(parts).split(r"\ ")))


def test_the_tour_parses_into_commands_with_expected_lines() -> None:
    steps = tour()
    assert steps[0][0][0] == "export"
    assert sum(1 for words, _ in steps if words[:2] == ["opsteam", "approve"]) == 3
    assert all(lines for words, lines in steps if words[:2] == ["opsteam", "submit"])


def test_readme_tour_matches_real_output(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSTEAM_")}
    env["OPSTEAM_USER"] = "tour"
    thread = EXAMPLE_THREAD
    for words, lines in tour():
        if words[0] == "export":
            name, _ = words[1].split("=", 1)
            env[name] = str(tmp_path / "home")
            continue
        assert words[0] == "opsteam", words
        args = [w.replace(EXAMPLE_THREAD, thread) for w in words[1:]]
        args = [str(ROOT / a) if a.startswith("examples/") else a for a in args]
        proc = subprocess.run(
            [str(OPSTEAM), *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=600,
            check=False,
        )
        assert proc.returncode in (0, 3), (words, proc.stderr)
        found = re.search(r"thread (chg-[0-9a-f]{12})", proc.stdout)
        if words[1] == "submit" and found:
            thread = found.group(1)
        for line in lines:
            assert expected(line, thread).search(proc.stdout), (words, line, proc.stdout)
