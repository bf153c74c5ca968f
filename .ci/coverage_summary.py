"""Print test coverage per package folder (agents, graphs, tools, opsteam core) and in total.

Run after ``pytest --cov``; reads the combined ``.coverage`` data file.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import coverage

FOLDERS = ("agents", "graphs", "tools", "prompts", "opsteam")


def folder_of(path: str) -> str:
    parts = Path(path).resolve().parts
    for name in FOLDERS:
        if name in parts:
            return name
    return "other"


def main() -> int:
    cov = coverage.Coverage()
    cov.load()
    data = cov.get_data()
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for filename in data.measured_files():
        _, statements, _, missing, _ = cov.analysis2(filename)
        folder = folder_of(filename)
        totals[folder][0] += len(statements)
        totals[folder][1] += len(statements) - len(missing)
    print("coverage by package folder (statements):")
    all_statements = all_covered = 0
    for folder in (*FOLDERS, "other"):
        if folder not in totals:
            continue
        statements, covered = totals[folder]
        all_statements += statements
        all_covered += covered
        print(
            f"  {folder:<10} {100 * covered / max(statements, 1):5.1f}%  ({statements} statements)"
        )
    print(f"  {'total':<10} {100 * all_covered / max(all_statements, 1):5.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
