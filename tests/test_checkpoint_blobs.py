"""Artifacts out of the checkpoint rows: stored once by hash beside them, bundles unchanged.

Through the service, on the real SQLite checkpoint file: what the rows hold, what the blob
table holds, and that another process reads the same files back. (Sizes are in bench/.)
"""

from __future__ import annotations

import filecmp
import sqlite3
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from opsteam.application.artifact_store import ZIPPED
from opsteam.application.blobs import BlobStore, digest
from opsteam.application.checkpoints import serializer
from opsteam.application.service import Opsteam
from opsteam.domain.models import Artifact
from opsteam.graphs.state import RequestState
from opsteam.intake import parse_requests
from tests.fakes import ParseOnlyVerifier

ROOT = Path(__file__).resolve().parent.parent
PROD = parse_requests((ROOT / "examples" / "prod-postgres-ha.yaml").read_bytes())


def team(home: Path) -> Opsteam:
    return Opsteam(home=home, verifier=ParseOnlyVerifier())


def rows_bytes(home: Path, thread_id: str) -> bytes:
    """Every checkpoint and pending-write payload the thread holds, decompressed, concatenated."""
    with sqlite3.connect(home / "checkpoints.sqlite") as conn:
        found = conn.execute(
            "SELECT type, checkpoint FROM checkpoints WHERE thread_id = ? "
            "UNION ALL SELECT type, value FROM writes WHERE thread_id = ?",
            (thread_id, thread_id),
        ).fetchall()
    assert any(kind == ZIPPED for kind, _ in found)  # large rows are stored compressed
    return b"".join(
        zlib.decompress(bytes(data)) if kind == ZIPPED else bytes(data)
        for kind, data in found
        if data is not None
    )


def blob_shas(home: Path) -> set[str]:
    with sqlite3.connect(home / "checkpoints.sqlite") as conn:
        return {r[0] for r in conn.execute("SELECT sha256 FROM opsteam_blobs")}


def paused_at_production(home: Path) -> str:
    ops = team(home)
    [result] = ops.submit(PROD)
    result = ops.decide(result.thread_id, "approve", all_pending=True, by="arch")
    assert [p.id for p in result.pending] == ["production-change"]
    return result.thread_id


def test_checkpoint_rows_hold_references_and_the_texts_are_stored_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    thread_id = paused_at_production(home)
    artifacts = team(home).state(thread_id).all_artifacts()
    assert len(artifacts) > 5
    payloads = rows_bytes(home, thread_id)
    stored = blob_shas(home)
    for artifact in artifacts:
        text = artifact.content.encode("utf-8")
        assert digest(text) in stored, artifact.path
        # A distinctive line of the file is nowhere in the checkpoint rows.
        line = max(artifact.content.splitlines(), key=len).encode("utf-8")
        assert line not in payloads, f"{artifact.path} is still inline"


def test_the_same_request_again_stores_none_of_its_files_again(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = paused_at_production(home)
    before = blob_shas(home)
    second = paused_at_production(home)
    added = blob_shas(home) - before
    ops = team(home)
    texts = {digest(a.content.encode()) for a in ops.state(second).all_artifacts()}
    assert texts == {digest(a.content.encode()) for a in ops.state(first).all_artifacts()}
    assert texts <= before and not texts & added


RESUME = """
import sys
import zlib
from pathlib import Path
sys.path.insert(0, {root!r})
from opsteam.application.service import Opsteam
from tests.fakes import ParseOnlyVerifier
team = Opsteam(home=Path(sys.argv[1]), verifier=ParseOnlyVerifier())
result = team.decide(sys.argv[2], "approve", by="board", out=Path(sys.argv[3]))
print(result.status)
"""


@pytest.mark.slow
def test_a_bundle_written_by_another_process_is_byte_identical(tmp_path: Path) -> None:
    here, there = tmp_path / "here", tmp_path / "there"
    finished_here = team(here).decide(
        paused_at_production(here), "approve", by="board", out=tmp_path / "bundle-here"
    )
    assert finished_here.status == "completed"
    thread_id = paused_at_production(there)
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            RESUME.format(root=str(ROOT)),
            str(there),
            thread_id,
            str(tmp_path / "bundle-there"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "completed"
    compared = filecmp.dircmp(tmp_path / "bundle-here", tmp_path / "bundle-there")
    files = sorted(
        p.relative_to(tmp_path / "bundle-here")
        for p in (tmp_path / "bundle-here").rglob("*")
        if p.is_file()
    )
    assert len(files) > 5
    _, mismatch, errors = filecmp.cmpfiles(
        tmp_path / "bundle-here", tmp_path / "bundle-there", [str(f) for f in files], shallow=False
    )
    assert mismatch == [] and errors == [] and compared.right_only == []


def test_checkpoints_written_with_inline_artifacts_still_load(tmp_path: Path) -> None:
    value = {
        "automation-engineer": [
            Artifact(path="a.tf", role="automation-engineer", kind="terraform", content="x" * 5000)
        ]
    }
    old = serializer().dumps_typed(value)  # as written before the blob store existed
    store = BlobStore.sqlite(str(tmp_path / "c.sqlite"))
    assert serializer(store).loads_typed(old) == value
    new = serializer(store).dumps_typed(value)
    assert b"xxxx" not in new[1] and serializer(store).loads_typed(new) == value


def test_a_missing_blob_is_an_error_not_an_empty_file(tmp_path: Path) -> None:
    value = [Artifact(path="a.md", role="automation-engineer", kind="markdown", content="# hi")]
    path = str(tmp_path / "c.sqlite")
    written = serializer(BlobStore.sqlite(path)).dumps_typed(value)
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM opsteam_blobs")
    with pytest.raises(KeyError, match="missing"):
        serializer(BlobStore.sqlite(path)).loads_typed(written)


def test_a_value_read_twice_is_equal_but_shares_no_container(tmp_path: Path) -> None:
    """Stored values are decoded once per process: a reader changing its copy (a dict or a
    list) must not change what the next read of the same hash gets."""
    files = [
        Artifact(path=f"f{i}.tf", role="automation-engineer", kind="terraform", content="y" * 900)
        for i in range(3)
    ]
    value = {"automation-engineer": files, "notes": ["n" * 2000]}
    serde = serializer(BlobStore.sqlite(str(tmp_path / "c.sqlite")))
    written = serde.dumps_typed(value)
    first = serde.loads_typed(written)
    first["automation-engineer"].pop()
    first["notes"].append("changed")
    first["extra"] = []
    assert serde.loads_typed(written) == value


def test_a_model_written_again_is_stored_as_a_fresh_serializer_stores_it(tmp_path: Path) -> None:
    """A frozen model's encoding is remembered by identity (a step writes the same model in
    its write, each Send and the checkpoint); a mutable one is encoded each time."""
    [request] = PROD
    path = str(tmp_path / "c.sqlite")
    serde = serializer(BlobStore.sqlite(path))
    first = serde.dumps_typed(request)
    assert serde.dumps_typed(request) == first
    assert serializer(BlobStore.sqlite(path)).dumps_typed(request) == first
    state = RequestState(thread_id="t", request=request, summary="s" * 3000)
    before = serde.dumps_typed(state)
    state.summary = "changed " * 400  # not frozen: what is written is the state now
    after = serde.dumps_typed(state)
    assert after != before
    assert serde.loads_typed(after).summary == state.summary


def test_an_artifact_referenced_again_is_stored_again_when_its_blob_is_gone(
    tmp_path: Path,
) -> None:
    """A reference remembered from an earlier write still hands its bytes to the store."""
    files = [Artifact(path="a.tf", role="automation-engineer", kind="terraform", content="z" * 900)]
    path = str(tmp_path / "c.sqlite")
    serde = serializer(BlobStore.sqlite(path))
    first = serde.dumps_typed({"automation-engineer": files})
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM opsteam_blobs")
    serde.blob_store.forget_stored()  # as after a collection in this process
    again = serde.dumps_typed({"automation-engineer": files})
    assert again == first
    assert serializer(BlobStore.sqlite(path)).loads_typed(again) == {"automation-engineer": files}
