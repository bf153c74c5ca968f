"""In-process checks (YAML, JSON, dashboards, HCL): pure functions of the file text."""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any
from xml.etree import ElementTree

import yaml

from opsteam.domain.models import Finding
from opsteam.tools.outcomes import NOT_INSTALLED, PASSED, Outcome, failed, finding

KUSTOMIZATION_NAMES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})


def load_yaml(text: str) -> tuple[list[Any] | None, Outcome]:
    """Parse every document; on failure return (None, failed outcome) with the line number."""
    try:
        docs = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, failed([finding("yaml-parse", str(problem), line=line)])
    return docs, PASSED


def check_json(text: str, *, dashboard: bool) -> Outcome:
    """Parse JSON; for dashboards also require a title and panels that query something."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return failed([finding("json-parse", exc.msg, line=exc.lineno)])
    if not dashboard:
        return PASSED
    problems = dashboard_problems(data)
    return failed(problems) if problems else PASSED


def dashboard_problems(data: Any) -> list[Finding]:
    """Minimal Grafana shape: title, a panels list, each data panel with targets.

    Accepts both the bare dashboard and the API envelope ``{"dashboard": {...}}``. Row panels
    are containers (their nested panels are checked) and text panels have nothing to query.
    """
    if isinstance(data, dict) and isinstance(data.get("dashboard"), dict):
        data = data["dashboard"]
    if not isinstance(data, dict):
        return [finding("dashboard-shape", "top level is not a JSON object")]
    problems: list[Finding] = []
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append(finding("dashboard-title", "dashboard has no title"))
    panels = data.get("panels")
    if not isinstance(panels, list) or not panels:
        problems.append(finding("dashboard-panels", "dashboard has no panels"))
        return problems
    problems.extend(_panel_problems(panels, prefix="panel"))
    return problems


def _panel_problems(panels: Iterable[Any], prefix: str) -> list[Finding]:
    problems: list[Finding] = []
    for index, panel in enumerate(panels, start=1):
        label = f"{prefix} {index}"
        if not isinstance(panel, dict):
            problems.append(finding("panel-shape", "panel is not an object", resource=label))
            continue
        if isinstance(panel.get("title"), str) and panel["title"]:
            label = f"{label} {panel['title']!r}"
        kind = panel.get("type")
        if kind == "row":
            problems.extend(_panel_problems(panel.get("panels") or [], prefix=f"{label} >"))
            continue
        if kind == "text":
            continue
        targets = panel.get("targets")
        if not isinstance(targets, list) or not targets:
            problems.append(finding("panel-targets", "panel has no targets", resource=label))
    return problems


def check_hcl(text: str) -> Outcome:
    """Parse Terraform with python-hcl2 (the validators extra); missing module = not installed."""
    try:
        hcl2: Any = importlib.import_module("hcl2")
    except ImportError:
        return NOT_INSTALLED
    try:
        options = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
        hcl2.loads(text, serialization_options=options)
    except Exception as exc:  # lark raises many error types; all mean "does not parse"
        line, column = getattr(exc, "line", None), getattr(exc, "column", None)
        del column
        at = line if isinstance(line, int) and line > 0 else None
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        message = re.sub(r"\s*at line \d+, column \d+\.?$", "", message)
        return failed([finding("hcl-parse", message, line=at)])
    return PASSED


def object_problems(docs: list[Any]) -> list[Finding]:
    """Objects kubernetes-validate cannot even name (it crashes on them), as findings."""
    problems: list[Finding] = []
    if not docs:
        return [finding("k8s-object", "file holds no Kubernetes objects")]
    for index, doc in enumerate(docs, start=1):
        where = f"document {index}"
        if not isinstance(doc, dict):
            problems.append(finding("k8s-object", "document is not a mapping", resource=where))
            continue
        missing = [key for key in ("apiVersion", "kind") if not isinstance(doc.get(key), str)]
        metadata = doc.get("metadata")
        if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str):
            missing.append("metadata.name")
        if missing:
            problems.append(finding("k8s-object", f"missing {', '.join(missing)}", resource=where))
    return problems


def is_kustomization(path: str) -> bool:
    return PurePosixPath(path).name in KUSTOMIZATION_NAMES


def kustomize_patches(path: str, docs: list[Any]) -> set[str]:
    """Bundle paths a kustomization uses as patches: partial objects, not full resources."""
    base = PurePosixPath(path).parent
    names: list[str] = []
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        for key in ("patches", "patchesStrategicMerge", "patchesJson6902"):
            for entry in doc.get(key) or []:
                if isinstance(entry, str):
                    names.append(entry)
                elif isinstance(entry, dict) and isinstance(entry.get("path"), str):
                    names.append(entry["path"])
    return {_normalise(base / name) for name in names if "\n" not in name}


def _normalise(path: PurePosixPath) -> str:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def check_svg(text: str) -> Outcome:
    """An SVG image: well-formed XML whose root element is ``svg`` (no entities expanded)."""
    if "<!ENTITY" in text:
        return failed([finding("svg", "the file declares XML entities")])
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        return failed([finding("svg", f"not well-formed XML: {exc}")])
    if root.tag.rsplit("}", 1)[-1] != "svg":
        return failed([finding("svg", f"root element is {root.tag}, not svg")])
    return PASSED
