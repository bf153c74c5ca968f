"""What the chat and the API show about one request, built once for both.

A request's result, plus, for each pending checkpoint, what will change if it is approved
(the design's components, the team, the files written so far), the design diagram, and the
artifacts themselves (a single file, or the whole bundle as a zip). No formatting here: the
interfaces render and redact.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from opsteam.application.results import ArtifactInfo, RunResult
from opsteam.application.service import Opsteam
from opsteam.domain.errors import NotFoundError
from opsteam.domain.models import Artifact
from opsteam.domain.registry import Registry
from opsteam.graphs.state import RequestState

MAX_ARTIFACT_BYTES = 2 * 1024 * 1024


class ChangePreview(BaseModel):
    """What an approval lets happen: shown next to the checkpoint's reason."""

    design: str | None = None
    risk: str | None = None
    components: list[str] = Field(default_factory=list)
    specialists: list[str] = Field(default_factory=list)
    files: list[ArtifactInfo] = Field(default_factory=list)
    files_note: str = ""
    rollback: list[str] = Field(default_factory=list)
    maintenance_window: str | None = None


class RequestDetail(BaseModel):
    result: RunResult
    preview: ChangePreview | None = None
    diagram: str | None = None


def preview(state: RequestState, result: RunResult, registry: Registry) -> ChangePreview | None:
    """For a request waiting at a checkpoint: the design, its components and its files."""
    design = state.design
    if not result.pending or design is None:
        return None
    files = list(result.artifacts)
    note = (
        "the files the team wrote; approving lets the change go ahead with them"
        if files
        else "no files yet: the specialists write them after this approval"
    )
    return ChangePreview(
        design=design.summary,
        risk=result.risk,
        components=list(design.components),
        specialists=[registry.role(a.role).name for a in design.assignments],
        files=files,
        files_note=note,
        rollback=list(design.rollback_plan),
        maintenance_window=design.maintenance_window,
    )


def _diagram(state: RequestState) -> str | None:
    """The plan's architecture diagram as Mermaid source (what the web chat draws)."""
    if state.plan is None:
        return None
    from opsteam.agents.architect.plan import diagram_source

    return diagram_source(state.plan)


def detail(team: Opsteam, thread_id: str) -> RequestDetail:
    """The request's result with its change preview and design diagram."""
    result = team.status(thread_id)
    state = team.state(thread_id)
    return RequestDetail(
        result=result, preview=preview(state, result, team.registry), diagram=_diagram(state)
    )


def with_preview(team: Opsteam, result: RunResult) -> RequestDetail:
    """A just-returned result, with what its pending checkpoints would let change."""
    state = team.state(result.thread_id)
    return RequestDetail(
        result=result, preview=preview(state, result, team.registry), diagram=_diagram(state)
    )


def artifact(team: Opsteam, thread_id: str, path: str) -> Artifact:
    """One artifact of a request, by its path in the bundle."""
    wanted = path.strip().lstrip("/")
    for item in team.show(thread_id)[1]:  # at rest: from the saved view, no graph state
        if item.path == wanted:
            return item
    raise NotFoundError(f"request {thread_id} has no artifact {wanted!r}")


def find_artifact(team: Opsteam, thread_id: str, words: str) -> Artifact:
    """An artifact named by its path, its file name, or a word of it ("diagram" is the plan)."""
    items = team.show(thread_id)[1]
    if not items:
        raise NotFoundError(f"request {thread_id} has no artifacts yet")
    key = words.strip().lower().lstrip("/")
    if key in ("diagram", "design", "plan", ""):
        key = "infrastructure-plan"
    exact = [a for a in items if a.path.lower() == key or a.path.lower().endswith("/" + key)]
    partial = [a for a in items if key in a.path.lower()]
    found = sorted(exact or partial, key=lambda a: (a.path.count("/"), a.path))  # shallowest
    if not found:
        names = ", ".join(a.path for a in items)
        raise NotFoundError(f"no artifact matches {words!r}; artifacts: {names}")
    return found[0]


def bundle_zip(team: Opsteam, thread_id: str) -> bytes:
    """The request's bundle exactly as ``opsteam submit --out`` writes it, as a zip."""
    with tempfile.TemporaryDirectory(prefix="opsteam-zip-") as scratch:
        root = Path(team.show(thread_id, out=Path(scratch) / "bundle")[0].bundle or "")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                archive.write(path, path.relative_to(root).as_posix())
    return buffer.getvalue()


def result_data(detail_: RequestDetail) -> dict[str, Any]:
    """The JSON an interface shows (before redaction)."""
    return detail_.model_dump(mode="json")
