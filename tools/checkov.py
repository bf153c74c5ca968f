"""checkov: one batched run per framework, and a pure parser that attributes its JSON to files.

Offline checkov reports ``severity: null`` for every check, so any failed check is a failure;
skips written next to a resource (``# checkov:skip=ID: reason``) are applied by checkov itself.
``--quiet`` is deliberately not used: it drops ``parsing_errors``, and a file checkov could not
parse must never read as passed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from opsteam.domain.models import Finding
from opsteam.tools.outcomes import PASSED, Outcome, error, failed, finding, tail
from opsteam.tools.runner import CommandResult

TIMEOUT_S = 300.0
FRAMEWORKS = ("terraform", "kubernetes")


def argv(program: str, framework: str, paths: Sequence[str]) -> list[str]:
    """Scan exactly the given bundle-relative files (run with cwd = bundle dir)."""
    args = [program, "--framework", framework, "--compact", "-o", "json", "--skip-download"]
    for path in paths:
        args += ["-f", path]
    return args


def parse(result: CommandResult, bundle_dir: Path, paths: Sequence[str]) -> dict[str, Outcome]:
    """Verdict per path from a finished checkov run (exit 0 = clean, 1 = failed checks)."""
    if result.returncode not in (0, 1):
        reason = f"checkov exited {result.returncode}: {tail(result.stderr or result.stdout)}"
        return dict.fromkeys(paths, error(reason))
    try:
        data = json.loads(result.stdout)
    except json.JSONDecodeError:
        reason = f"checkov printed no JSON report: {tail(result.stderr or result.stdout)}"
        return dict.fromkeys(paths, error(reason))
    reports = data if isinstance(data, list) else [data]
    if not all(isinstance(report, dict) for report in reports):
        return dict.fromkeys(paths, error("checkov report has an unexpected shape"))
    return _attribute(reports, bundle_dir, paths)


def _attribute(
    reports: list[dict[str, Any]], bundle_dir: Path, paths: Sequence[str]
) -> dict[str, Outcome]:
    locate = _Locator(bundle_dir, paths)
    findings: dict[str, list[Finding]] = {path: [] for path in paths}
    unparsed: set[str] = set()
    for report in reports:
        results = report.get("results")
        if not isinstance(results, dict):
            # Summary-only report: checkov found no resources. Fine unless it failed to parse.
            if _count(report, "parsing_errors"):
                return dict.fromkeys(paths, error("checkov could not parse the files"))
            continue
        for entry in results.get("parsing_errors") or []:
            path = locate(str(entry), "")
            if path is not None:
                unparsed.add(path)
        for check in results.get("failed_checks") or []:
            if isinstance(check, dict):
                _add_failure(check, locate, findings)
    return {path: _verdict(path, findings[path], unparsed) for path in paths}


def _add_failure(
    check: dict[str, Any], locate: _Locator, findings: dict[str, list[Finding]]
) -> None:
    path = locate(str(check.get("file_abs_path") or ""), str(check.get("repo_file_path") or ""))
    if path is None:
        return  # a file outside this batch (e.g. a module checkov followed)
    lines = check.get("file_line_range")
    line = lines[0] if isinstance(lines, list) and lines and isinstance(lines[0], int) else None
    findings[path].append(
        finding(
            str(check.get("check_id") or "checkov"),
            str(check.get("check_name") or "check failed"),
            resource=str(check.get("resource") or ""),
            line=line,
        )
    )


def _verdict(path: str, found: list[Finding], unparsed: set[str]) -> Outcome:
    if path in unparsed:
        return error("checkov could not parse the file, so it was not scanned")
    return failed(found) if found else PASSED


def _count(report: dict[str, Any], key: str) -> int:
    summary = report.get("summary", report)
    value = summary.get(key, 0) if isinstance(summary, dict) else 0
    return value if isinstance(value, int) else 0


class _Locator:
    """Maps checkov's file fields (absolute, or ``/relative`` to the cwd) back to bundle paths."""

    def __init__(self, bundle_dir: Path, paths: Sequence[str]) -> None:
        self._root = bundle_dir.resolve()
        self._paths = set(paths)

    def __call__(self, absolute: str, relative: str) -> str | None:
        if absolute:
            try:
                rel = Path(absolute).resolve().relative_to(self._root).as_posix()
            except ValueError:
                rel = ""
            if rel in self._paths:
                return rel
        rel = relative.lstrip("/")
        return rel if rel in self._paths else None
