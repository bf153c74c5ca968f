"""``kubectl kustomize`` of every root kustomization (overlays): argv, choice of roots, parser.

A root is a kustomization no other kustomization of the bundle uses as a resource or component
(the overlays; a lone base is its own root). Bases are built through their overlays. Debian
has no ``kustomize`` package, so the validator runs kubectl's built-in kustomize (v5 in kubectl
1.32). Findings go to the root's ``kustomization.yaml``. Pure: nothing here runs a process.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from opsteam.tools.outcomes import MAX_FINDING, PASSED, Outcome, error, failed, finding, tail
from opsteam.tools.runner import CommandResult

PROGRAM = "kubectl"
TIMEOUT_S = 60.0
# kubectl >= 1.30 logs through klog: E1201 06:59:01.71 3114 run.go:72] "command failed" err="..."
_KLOG = re.compile(r'"command failed" err="((?:[^"\\]|\\.)*)"')
_PLAIN = re.compile(r"^(?:error|Error): (.*)$", re.MULTILINE)


def roots(kustomizations: Mapping[str, list[Any]]) -> list[str]:
    """Kustomization paths (bundle-relative) that no other kustomization includes."""
    directories = {str(PurePosixPath(path).parent): path for path in kustomizations}
    included: set[str] = set()
    for path, docs in kustomizations.items():
        base = PurePosixPath(path).parent
        for entry in _included(docs):
            target = _normalise(base / entry)
            if target in directories and directories[target] != path:
                included.add(directories[target])
    return [path for path in kustomizations if path not in included]


def _included(docs: list[Any]) -> list[str]:
    found: list[str] = []
    for doc in docs:
        if isinstance(doc, dict):
            for key in ("resources", "components", "bases"):
                found += [e for e in doc.get(key) or [] if isinstance(e, str)]
    return found


def _normalise(path: PurePosixPath) -> str:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts) or "."


def argv(program: str, path: str) -> list[str]:
    """Build the directory holding ``path`` (run with cwd = bundle dir)."""
    return [program, "kustomize", str(PurePosixPath(path).parent)]


def parse(result: CommandResult, bundle_dir: str = "") -> Outcome:
    """Exit 0 with objects = builds; otherwise the error kustomize gave, as one finding."""
    if result.returncode == 0:
        if result.stdout.strip():
            return PASSED
        return failed([finding("kustomize-build", "the overlay builds to no objects")])
    reasons = [_unquote(m) for m in _KLOG.findall(result.stderr)] or _PLAIN.findall(result.stderr)
    if not reasons:
        return error(f"kubectl kustomize exited {result.returncode}: {tail(result.stderr)}")
    return failed([finding("kustomize-build", _shorten(r, bundle_dir)) for r in reasons])


def _objects_named(reason: str) -> str:
    """Conflict errors dump whole objects as JSON (``[{...} {...}]``): name them instead."""
    start = reason.find("[{")
    if start < 0 or not reason.endswith("}]"):
        return reason
    decoder = json.JSONDecoder()
    names: list[str] = []
    position = start + 1
    while position < len(reason) - 1:
        try:
            item, position = decoder.raw_decode(reason, position)
        except json.JSONDecodeError:
            return reason
        names.append(_object_id(item))
        while position < len(reason) and reason[position] == " ":
            position += 1
    return f"{reason[:start]}[{', '.join(names)}]"


def _object_id(item: Any) -> str:
    meta = item.get("metadata") if isinstance(item, dict) else None
    if not isinstance(meta, dict):
        return "?"
    parts = [str(item.get("kind", "?")), str(meta.get("namespace", "")), str(meta.get("name", "?"))]
    return "/".join(part for part in parts if part)


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _shorten(reason: str, bundle_dir: str) -> str:
    """Relative paths, objects as kind/namespace/name, and for kustomize's long cause chains
    the head and the root cause."""
    if bundle_dir:
        reason = reason.replace(bundle_dir.rstrip("/") + "/", "")
    reason = _objects_named(" ".join(reason.split()))
    if len(reason) <= MAX_FINDING:
        return reason
    head = reason.split(": ", 1)[0][: MAX_FINDING // 3]
    keep = MAX_FINDING - len(head) - 5
    return f"{head} ... {reason[-keep:]}"
