"""What a request at rest shows, saved in its history row: ``show`` and ``status`` of a
paused or finished request run no graph.

When a run settles (:mod:`opsteam.application.completion`), its listing row gets, in the same
transaction as its status, the result as every way out shows it, its files as references
(path, role, kind, sha256: the bytes are already in the checkpoint store's blob table) and
its validations. A run that starts clears it; a result with an error (the thread not at rest)
saves none. Reading needs the history row, the blobs and the roster, no LangGraph: the files
and the bundle are the same objects, so the bundle has the same bytes as one written from the
checkpoint. Whenever the row has no view (a run under way or cut short, a row from before the
view, another roster, a blob gone), the caller falls back to the checkpoints.
"""

from __future__ import annotations

import hashlib
import logging
import zlib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from opsteam.application.blobs import ZIP_LEVEL, BlobStore, digest
from opsteam.application.bundle import write_bundle
from opsteam.application.listing import read_current_sqlite
from opsteam.application.results import RunResult
from opsteam.domain.errors import ConflictError
from opsteam.domain.models import Artifact, ArtifactKind, ValidationResult
from opsteam.domain.registry import Registry
from opsteam.domain.settings import Settings, checkpoint_url, database_url
from opsteam.graphs.state import RequestState

log = logging.getLogger("opsteam")
Shown = tuple[RunResult, list[Artifact]]
_SQLITE = "sqlite:///"


class SavedFile(BaseModel):
    """A file of the request: its bytes are the checkpoint store's blob of this hash."""

    model_config = ConfigDict(frozen=True)
    path: str
    role: str
    kind: ArtifactKind
    sha256: str


class SavedView(BaseModel):
    """Everything ``show`` and ``status`` give for a request at rest."""

    version: Literal[1] = 1
    roster: str  # the roster the result was named with: another one is shown from the graph
    result: RunResult
    title: str  # the request's title as the bundle's manifest names it
    files: list[SavedFile]
    validations: list[ValidationResult]


def roster_key(registry: Registry) -> str:
    """Which roster named a view (its names, IDs and roles all count)."""
    return hashlib.sha256(registry.model_dump_json().encode("utf-8")).hexdigest()


def saved_view(state: RequestState, result: RunResult, registry: Registry) -> bytes | None:
    """The view of a settled run, or None when ``show`` would not give this result again
    from the same checkpoint (a run's error: the thread is not at rest)."""
    if result.error is not None:
        return None
    files = [
        SavedFile(path=a.path, role=a.role, kind=a.kind, sha256=digest(a.content.encode("utf-8")))
        for a in state.all_artifacts()
    ]
    view = SavedView(
        roster=roster_key(registry),
        result=result.model_copy(update={"bundle": None, "bundle_target": None}),
        title=state.request.request,
        files=files,
        validations=state.all_validations(),
    )
    return zlib.compress(view.model_dump_json().encode("utf-8"), ZIP_LEVEL)


def read_view(home: Path, settings: Settings, thread_id: str) -> SavedView | None:
    """The request's saved view, read in one query (with ``sqlite3`` from a current SQLite
    store); None when there is none or it is not in this version's form."""
    url = database_url(home, settings)
    stored: Any = None
    rows = None
    if url.startswith(_SQLITE):
        path = Path(url.removeprefix(_SQLITE))
        rows = read_current_sqlite(path, "SELECT view FROM requests WHERE thread_id = ?", thread_id)
        stored = rows[0][0] if rows else None
    if rows is None:
        stored = _read_through_store(url, thread_id)
    if stored is None:
        return None
    try:
        return SavedView.model_validate_json(zlib.decompress(stored))
    except (zlib.error, ValidationError):  # another version's form: the checkpoints say it
        return None


def _read_through_store(url: str, thread_id: str) -> Any:
    from opsteam.application.db import open_store
    from opsteam.application.tables import RequestRow

    with open_store(url=url) as store, store.session() as session:
        row = session.get(RequestRow, thread_id)
        return None if row is None else row.view


def _files(view: SavedView, home: Path, settings: Settings) -> list[Artifact] | None:
    """The view's files with their bytes from the checkpoint store; None if one is missing."""
    if not view.files:
        return []
    url = checkpoint_url(home, settings)
    if url.startswith(("postgresql://", "postgres://")):
        store = BlobStore.postgres(url)
    elif Path(url).is_file():
        store = BlobStore.sqlite(url)
    else:
        return None
    try:
        texts = store.get_many(f.sha256 for f in view.files)
    except KeyError:
        log.debug("a saved file's bytes are gone; reading the checkpoints", exc_info=True)
        return None
    finally:
        store.close()
    return [
        Artifact(path=f.path, role=f.role, kind=f.kind, content=texts[f.sha256].decode("utf-8"))
        for f in view.files
    ]


def bundle(
    result: RunResult,
    artifacts: list[Artifact],
    validations: list[ValidationResult],
    title: str,
    registry: Registry,
    out: Path,
) -> RunResult:
    """The request's files written to ``out`` as a bundle (refused before it has any)."""
    if not artifacts:
        raise ConflictError(
            f"request {result.thread_id} has no files yet (status: {result.status})"
        )
    path = write_bundle(out, artifacts, validations, registry, title)
    return result.model_copy(update={"bundle": str(path)})


def show_saved(
    home: Path, settings: Settings, registry: Registry, thread_id: str, out: Path | None = None
) -> Shown | None:
    """The result and files of a request at rest from its saved view (with ``out``, written
    there as a bundle); None when the checkpoints must say it."""
    view = read_view(home, settings, thread_id)
    if view is None or view.roster != roster_key(registry):
        return None
    artifacts = _files(view, home, settings)
    if artifacts is None:
        return None
    if out is None:
        return view.result, artifacts
    return bundle(view.result, artifacts, view.validations, view.title, registry, out), artifacts


def saved_result(
    home: Path, settings: Settings, registry: Registry, thread_id: str
) -> RunResult | None:
    """The result of a request at rest from its saved view; None when the checkpoints must
    say it."""
    view = read_view(home, settings, thread_id)
    if view is None or view.roster != roster_key(registry):
        return None
    return view.result
