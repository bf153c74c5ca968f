"""Command lines and pure output parsers for kubernetes-validate, promtool and Ansible.

Each ``parse_*`` turns one finished command into a verdict per bundle path; nothing here runs a
process, so the parsing is tested against recorded output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from opsteam.domain.models import Finding, ValidationStatus
from opsteam.tools.outcomes import PASSED, Outcome, error, failed, finding, tail
from opsteam.tools.runner import CommandResult

# Kubernetes schema version the manifests are held to (kubernetes-validate bundles 1.25-1.37).
K8S_VERSION = "1.30"
TIMEOUT_S = 120.0
LINT_TIMEOUT_S = 300.0


def kubernetes_validate_argv(program: str, paths: Sequence[str]) -> list[str]:
    return [program, "--strict", "-k", K8S_VERSION, *paths]


def parse_kubernetes_validate(result: CommandResult, paths: Sequence[str]) -> dict[str, Outcome]:
    """Lines are ``LEVEL <file> ...``: INFO passed, ERROR failed, WARN no schema (unverified)."""
    levels: dict[str, dict[str, list[str]]] = {
        path: {"INFO": [], "ERROR": [], "WARN": []} for path in paths
    }
    for line in result.stdout.splitlines():
        level, _, rest = line.partition(" ")
        if level == "FATAL":
            return dict.fromkeys(paths, error(line))
        for path in paths:
            if level in levels[path] and rest.startswith(f"{path} "):
                levels[path][level].append(rest[len(path) + 1 :])
                break
    return {path: _k8s_verdict(levels[path], result) for path in paths}


_K8S_FAIL = re.compile(r"did not validate for resource (\S+) against version \S+: (.*)$")


def _k8s_verdict(lines: dict[str, list[str]], result: CommandResult) -> Outcome:
    if lines["ERROR"]:
        found = []
        for text in lines["ERROR"]:
            match = _K8S_FAIL.match(text)
            if match:
                found.append(finding("k8s-schema", match.group(2), resource=match.group(1)))
            else:
                found.append(finding("k8s-schema", text))
        return failed(found)
    if lines["WARN"]:
        found = [finding("k8s-no-schema", f"{text}; object not verified") for text in lines["WARN"]]
        return Outcome(ValidationStatus.ERROR, tuple(found))
    if lines["INFO"]:
        return PASSED
    return error(f"kubernetes-validate said nothing about the file: {tail(result.stderr)}")


def promtool_argv(program: str, path: str) -> list[str]:
    return [program, "check", "rules", path]


def parse_promtool(result: CommandResult, path: str) -> Outcome:
    """Exit 0 = rules parse and lint clean; exit 1 = problems, listed on stderr."""
    if result.returncode == 0:
        return PASSED
    if result.returncode != 1:
        return error(f"promtool exited {result.returncode}: {tail(result.stderr)}")
    found = []
    for raw in result.stderr.splitlines():
        line = raw.strip()
        if not line or line == "FAILED:":
            continue
        if line.startswith(f"{path}: "):
            line = line[len(path) + 2 :]
        where, _, message = line.partition(": ")
        if re.fullmatch(r"\d+:\d+", where):
            found.append(finding("promtool", message, line=int(where.split(":")[0])))
        else:
            found.append(finding("promtool", line))
    return failed(found)


def promtool_config_argv(program: str, path: str) -> list[str]:
    return [program, "check", "config", path]


def parse_promtool_config(result: CommandResult) -> Outcome:
    """Exit 0 = the configuration (and the rule files it names) is valid; exit 1 = the
    ``FAILED:`` lines on stderr, each with the YAML lines that follow it."""
    if result.returncode == 0:
        return PASSED
    if result.returncode != 1:
        return error(f"promtool exited {result.returncode}: {tail(result.stderr)}")
    found: list[Finding] = []
    for raw in result.stderr.splitlines():
        line = raw.strip()
        if line.startswith("FAILED:"):
            found.append(finding("promtool-config", line[len("FAILED:") :].strip()))
        elif line and found:
            match = re.match(r"line (\d+): (.*)$", line)
            message = match.group(2) if match else line
            found.append(
                finding("promtool-config", message, line=int(match.group(1)) if match else None)
            )
    return failed(found or [finding("promtool-config", tail(result.stderr or result.stdout))])


def ansible_env(scratch: Path) -> dict[str, str]:
    """Keep Ansible's temp/home/cache writes in a throwaway dir instead of ~/.ansible."""
    return {
        "ANSIBLE_HOME": str(scratch / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(scratch / "ansible-tmp"),
        "ANSIBLE_REMOTE_TEMP": str(scratch / "ansible-remote-tmp"),
        "XDG_CACHE_HOME": str(scratch / "cache"),
        "ANSIBLE_NOCOLOR": "1",
        "NO_COLOR": "1",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
    }


def ansible_syntax_argv(program: str, path: str) -> list[str]:
    return [program, "--syntax-check", "-i", "localhost,", path]


def parse_ansible_syntax(result: CommandResult) -> Outcome:
    """Exit 0 = the playbook loads; otherwise the ``[ERROR]`` lines (with origin) are findings."""
    if result.returncode == 0:
        return PASSED
    messages: list[list[str]] = []
    for raw in (result.stderr + "\n" + result.stdout).splitlines():
        line = raw.strip()
        if line.startswith("[ERROR]:"):
            messages.append([line[len("[ERROR]:") :], ""])
        elif line.startswith("Origin:") and messages:
            messages[-1][1] = line[len("Origin:") :].strip()
    found = [
        finding("syntax-check", message, line=_origin_line(origin)) for message, origin in messages
    ]
    if not found:
        found.append(finding("syntax-check", tail(result.stderr or result.stdout)))
    return failed(found)


def _origin_line(origin: str) -> int | None:
    """``/abs/path/site.yml:5:7`` -> 5 (the result already names the file)."""
    match = re.search(r":(\d+)(?::\d+)?$", origin)
    return int(match.group(1)) if match else None


def ansible_lint_argv(program: str, project_dir: Path, paths: Sequence[str]) -> list[str]:
    return [
        program, "--offline", "--nocolor", "-f", "codeclimate",
        "--project-dir", str(project_dir), *paths,
    ]  # fmt: skip


def parse_ansible_lint(result: CommandResult, paths: Sequence[str]) -> dict[str, Outcome]:
    """Exit 0 = clean (maybe warnings), 2 = violations; codeclimate JSON on stdout.

    Warnings (severity minor/info) are listed but do not fail the file.
    """
    if result.returncode not in (0, 2):
        reason = f"ansible-lint exited {result.returncode}: {tail(result.stderr or result.stdout)}"
        return dict.fromkeys(paths, error(reason))
    try:
        issues = json.loads(result.stdout or "[]")
    except json.JSONDecodeError:
        return dict.fromkeys(paths, error(f"ansible-lint printed no JSON: {tail(result.stderr)}"))
    if not isinstance(issues, list):
        return dict.fromkeys(paths, error("ansible-lint report has an unexpected shape"))
    problems: dict[str, list[Finding]] = {path: [] for path in paths}
    warnings: dict[str, list[Finding]] = {path: [] for path in paths}
    for issue in issues:
        if not isinstance(issue, dict):
            continue
        location = issue.get("location")
        if not isinstance(location, dict):
            continue
        path = str(location.get("path", "")).removeprefix("./")
        if path not in problems:
            continue
        line = _lint_line(location)
        minor = issue.get("severity") in ("minor", "info")
        found = finding(
            str(issue.get("check_name", "ansible-lint")),
            str(issue.get("description", "")),
            line=line,
            severity="warning" if minor else "error",
        )
        (warnings if minor else problems)[path].append(found)
    return {
        path: failed(problems[path] + warnings[path])
        if problems[path]
        else Outcome(ValidationStatus.PASSED, tuple(warnings[path]))
        for path in paths
    }


def _lint_line(location: dict[str, object]) -> int | None:
    for key in ("positions", "lines"):
        block = location.get(key)
        if isinstance(block, dict):
            begin = block.get("begin")
            if isinstance(begin, dict) and isinstance(begin.get("line"), int):
                return int(begin["line"])
            if isinstance(begin, int):
                return begin
    return None


def amtool_argv(program: str, path: str) -> list[str]:
    return [program, "check-config", path]


def parse_amtool(result: CommandResult) -> Outcome:
    """Exit 0 = the Alertmanager configuration loads; exit 1 = ``FAILED:`` on stdout, the
    reason after it and each ``line N:`` under it."""
    if result.returncode == 0:
        return PASSED
    if result.returncode != 1:
        return error(f"amtool exited {result.returncode}: {tail(result.stderr)}")
    found: list[Finding] = []
    for raw in result.stdout.splitlines():
        line = raw.strip()
        if "FAILED:" in line:
            found.append(finding("amtool-config", line.split("FAILED:", 1)[1].strip()))
        elif match := re.match(r"line (\d+): (.*)$", line):
            found.append(finding("amtool-config", match.group(2), line=int(match.group(1))))
    return failed(found or [finding("amtool-config", tail(result.stdout or result.stderr))])
