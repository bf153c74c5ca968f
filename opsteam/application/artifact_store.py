"""Artifact bytes out of the checkpoints: stored once by SHA-256, beside the checkpoints.

A SQLite checkpoint is written at every step and carries every channel again, so rendered
files (Terraform, plans, runbooks) and the roles' decisions kept inline were stored dozens of
times per request. The checkpointer's serializer here writes each artifact as a reference
(path, role, kind, sha256) and each large value as a hash; the bytes go once into an
``opsteam_blobs`` table in the same database as the checkpoints (so any process that can
resume a thread can read them), shared by every step, revision and request that produces the
same bytes. Reading a checkpoint puts them back, so the graph, the verifier and the bundle
see the same :class:`Artifact` as before and bundles stay byte-identical. Blobs are
committed before the checkpoint that names them, so a killed process never leaves a
checkpoint pointing at nothing. Blobs no checkpoint names any more (their requests were
pruned) are collected by :mod:`opsteam.application.pruning`; each row keeps when a writer last
relied on it (``touched``), and a blob touched within the last hour is never collected, so a
writer that found it stored a moment ago never names a collected blob.
"""

from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from pydantic import BaseModel, ConfigDict

from opsteam.application.blobs import (
    CACHED_BLOBS,
    TRUST_FOR,
    ZIP_LEVEL,
    ZIP_OVER,
    BlobStore,
    digest,
)
from opsteam.domain.models import Artifact, ArtifactKind

INLINE_LIMIT = 1024  # state values up to this many bytes stay inside the checkpoint
ZIPPED = "msgpack+zlib"  # the serialized type of a compressed row payload


class ArtifactRef(BaseModel):
    """What a checkpoint stores for an artifact: where it goes, who made it, its hash."""

    model_config = ConfigDict(frozen=True)
    path: str
    role: str
    kind: ArtifactKind
    sha256: str
    size: int


class StoredValue(BaseModel):
    """A large state value (a role's typed decision) stored once by the hash of its bytes."""

    model_config = ConfigDict(frozen=True)
    sha256: str


def _walk(value: Any, visit: Callable[[Any], Any]) -> Any:
    """``value`` with ``visit`` applied to every leaf inside plain dicts, lists and tuples."""
    if isinstance(value, dict):
        return {k: _walk(v, visit) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, visit) for v in value]
    if isinstance(value, tuple) and type(value) is tuple:
        return tuple(_walk(v, visit) for v in value)
    return visit(value)


def _leaves(value: Any, kind: type[BaseModel]) -> list[Any]:
    found: list[Any] = []

    def collect(leaf: Any) -> Any:
        if isinstance(leaf, kind):
            found.append(leaf)
        return leaf

    _walk(value, collect)
    return found


def dehydrate(value: Any, store: BlobStore) -> Any:
    """Every :class:`Artifact` in ``value`` as an :class:`ArtifactRef`, its text stored."""
    artifacts = _leaves(value, Artifact)
    if not artifacts:
        return value
    encoded = {id(a): a.content.encode("utf-8") for a in artifacts}
    shas = {key: digest(data) for key, data in encoded.items()}
    store.put_many({shas[key]: encoded[key] for key in encoded})

    def to_ref(leaf: Any) -> Any:
        if not isinstance(leaf, Artifact):
            return leaf
        size = len(encoded[id(leaf)])
        sha = shas[id(leaf)]
        return ArtifactRef(path=leaf.path, role=leaf.role, kind=leaf.kind, sha256=sha, size=size)

    return _walk(value, to_ref)


def hydrate(value: Any, store: BlobStore) -> Any:
    """Every :class:`ArtifactRef` in ``value`` back as the :class:`Artifact` it names."""
    refs = _leaves(value, ArtifactRef)
    if not refs:
        return value
    texts = store.get_many(r.sha256 for r in refs)

    def to_artifact(leaf: Any) -> Any:
        if not isinstance(leaf, ArtifactRef):
            return leaf
        text = texts[leaf.sha256].decode("utf-8")
        return Artifact(path=leaf.path, role=leaf.role, kind=leaf.kind, content=text)

    return _walk(value, to_artifact)


def _is_checkpoint(obj: Any) -> bool:
    return isinstance(obj, dict) and "channel_values" in obj and "channel_versions" in obj


class BlobSerializer(JsonPlusSerializer):
    """The checkpoint serializer that keeps artifact texts and large values in a BlobStore.

    Artifacts become :class:`ArtifactRef`; then any value (a checkpoint's channel value, or
    a pending write) whose encoding exceeds ``INLINE_LIMIT`` becomes a :class:`StoredValue`.
    A checkpoint row so carries hashes, and a value unchanged between steps is stored once.
    Row payloads and blobs over ``ZIP_OVER`` bytes are stored zlib-compressed (the type
    ``msgpack+zlib`` marks a row; blobs always are).
    """

    def __init__(self, store: BlobStore, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.blob_store = store
        # (channel, version) -> (when, stored form): LangGraph gives a channel a new version
        # (random-suffixed, so unique to its thread) with every update, so a version seen a
        # moment ago is the same value; a SQLite checkpoint carries every channel at every
        # step, and the unchanged ones are not encoded and hashed again.
        self._versions: OrderedDict[tuple[str, str], tuple[float, Any]] = OrderedDict()
        self._versions_lock = threading.Lock()

    def _channel(self, name: str, version: Any, value: Any, blobs: dict[str, bytes]) -> Any:
        """A checkpoint's channel value as stored (a known version's as stored lately)."""
        key = (name, version) if isinstance(version, str) else None
        now = self.blob_store.clock()
        with self._versions_lock:
            found = self._versions.get(key) if key is not None else None
        if found is not None and now - found[0] < TRUST_FOR:
            return found[1]
        stored = self._stored(dehydrate(value, self.blob_store), blobs)
        if key is not None:
            with self._versions_lock:
                self._versions[key] = (now, stored)
                while len(self._versions) > CACHED_BLOBS:
                    self._versions.popitem(last=False)
        return stored

    def _stored(self, value: Any, blobs: dict[str, bytes]) -> Any:
        """``value``, or a :class:`StoredValue` naming its bytes (added to ``blobs``)."""
        kind, data = super().dumps_typed(value)
        if kind != "msgpack" or len(data) <= INLINE_LIMIT:
            return value
        sha = digest(data)
        blobs[sha] = data
        return StoredValue(sha256=sha)

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        blobs: dict[str, bytes] = {}
        if _is_checkpoint(obj):
            versions = obj["channel_versions"]
            values = {
                k: self._channel(k, versions.get(k), v, blobs)
                for k, v in obj["channel_values"].items()
            }
            obj = {**obj, "channel_values": values}
        else:
            obj = self._stored(dehydrate(obj, self.blob_store), blobs)
        self.blob_store.put_many(blobs)  # committed before the checkpoint that names them
        kind, data = super().dumps_typed(obj)
        if kind == "msgpack" and len(data) > ZIP_OVER:
            return ZIPPED, zlib.compress(data, ZIP_LEVEL)
        return kind, data

    def _loaded(self, value: Any, blobs: dict[str, bytes]) -> Any:
        if not isinstance(value, StoredValue):
            return value
        return super().loads_typed(("msgpack", blobs[value.sha256]))

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        if data[0] == ZIPPED:
            data = ("msgpack", zlib.decompress(data[1]))
        obj = super().loads_typed(data)
        if _is_checkpoint(obj):
            values = obj["channel_values"]
            refs = [v.sha256 for v in values.values() if isinstance(v, StoredValue)]
            blobs = self.blob_store.get_many(refs) if refs else {}
            obj["channel_values"] = {k: self._loaded(v, blobs) for k, v in values.items()}
        elif isinstance(obj, StoredValue):
            obj = self._loaded(obj, self.blob_store.get_many([obj.sha256]))
        return hydrate(obj, self.blob_store)
