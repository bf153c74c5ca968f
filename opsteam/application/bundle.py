"""Writing the team's artifacts to disk: every file through redaction, all or nothing.

The manifest holds no clock or thread id, so the same request gives byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from opsteam.application import faults
from opsteam.domain.errors import InputError
from opsteam.domain.models import Artifact, ValidationResult
from opsteam.domain.redaction import Redactor
from opsteam.domain.registry import Registry

MANIFEST = "manifest.json"


def _safe_relative(path: str) -> PurePosixPath:
    rel = PurePosixPath(path)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise ValueError(f"artifact path escapes the bundle: {path}")
    return rel


def write_files(root: Path, artifacts: Sequence[Artifact], redactor: Redactor) -> None:
    """Each artifact at its path under ``root``, through the exit (redacted, masked)."""
    for artifact in artifacts:
        target = root.joinpath(*_safe_relative(artifact.path).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(redactor.text(artifact.content), encoding="utf-8", newline="\n")


def manifest(
    artifacts: Sequence[Artifact],
    validations: Sequence[ValidationResult],
    registry: Registry,
    request_title: str,
) -> dict[str, object]:
    redactor = Redactor.for_registry(registry)
    by_path: dict[str, list[dict[str, object]]] = {}
    for v in validations:
        by_path.setdefault(v.path, []).append(
            {
                "validator": v.validator,
                "status": v.status.value,
                "message": v.message,
                "findings": [f.model_dump(mode="json") for f in v.findings],
            }
        )
    files = []
    for a in sorted(artifacts, key=lambda a: a.path):
        content = redactor.text(a.content).encode("utf-8")
        files.append(
            {
                "path": a.path,
                "role": registry.role(a.role).name,
                "kind": a.kind,
                "sha256": hashlib.sha256(content).hexdigest(),
                "validation": by_path.get(a.path, []),
            }
        )
    data: dict[str, object] = redactor.value({"request": request_title, "files": files})
    return data


def staging_prefix(out_dir: Path) -> str:
    """Staging folders of one bundle target are named after it, so leftovers can be found."""
    return f".{out_dir.name}.opsteam-staging-"


def clean_staging(out_dir: Path) -> None:
    """Remove staging folders a killed writer of this target left behind."""
    if not out_dir.parent.is_dir():
        return
    for leftover in out_dir.parent.glob(staging_prefix(out_dir) + "*"):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)


def check_target(out_dir: Path) -> None:
    """Refuse a bundle target before any work: a file, or a folder holding other things."""
    out_dir = out_dir.resolve()
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out {out_dir}: is a file; choose an empty or new folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MANIFEST).exists():
        raise InputError(f"{out_dir}: exists and is not an opsteam bundle; choose an empty dir")
    parent = next((p for p in out_dir.parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise InputError(f"--out {out_dir}: {parent} is a file, not a folder")


def write_bundle(
    out_dir: Path,
    artifacts: Sequence[Artifact],
    validations: Sequence[ValidationResult],
    registry: Registry,
    request_title: str,
) -> Path:
    """Write into a temporary sibling, then swap it in, so a failure leaves nothing half-done."""
    out_dir = out_dir.resolve()
    check_target(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    clean_staging(out_dir)
    staging = Path(tempfile.mkdtemp(prefix=staging_prefix(out_dir), dir=out_dir.parent))
    try:
        write_files(staging, artifacts, Redactor.for_registry(registry))
        data = manifest(artifacts, validations, registry, request_title)
        (staging / MANIFEST).write_text(
            json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        faults.kill_point("bundle-write")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir
