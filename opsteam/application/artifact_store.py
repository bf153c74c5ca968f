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

import importlib
import zlib
from functools import partial
from typing import Any

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.types import Send
from pydantic import BaseModel, ConfigDict

from opsteam.application.blobs import (
    CACHED_BLOBS,
    TRUST_FOR,
    ZIP_LEVEL,
    ZIP_OVER,
    BlobStore,
    digest,
)
from opsteam.application.recent import Recent
from opsteam.application.walks import leaves, same, scan, walk
from opsteam.domain.models import Artifact, ArtifactKind

CACHED_VALUES = 1024  # decoded state values kept per serializer (a request has ~20)
CACHED_ENCODINGS = 256  # encoded models kept per serializer (a request writes ~30)
CACHED_ARTIFACTS = 512  # artifacts' references kept per serializer (a request makes ~30)
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


class SentModel(BaseModel):
    """A model sent to a node (a ``Send``'s argument, the whole state): its small fields
    inline, its large ones by the hash of their bytes, the same bytes (so the same blobs) as
    the state's channels hold; a state sent on is then a row of hashes, not a copy."""

    model_config = ConfigDict(frozen=True)
    module: str
    name: str
    inline: dict[str, Any]
    stored: dict[str, str]


class KnownArtifacts:
    """Artifacts seen lately, by identity, with their reference and bytes: a role's files are
    written as its node's write and again in every checkpoint until the artifacts change
    (frozen models: the same object has the same text; it is held, so its id is not reused)."""

    def __init__(self, size: int = CACHED_ARTIFACTS) -> None:
        self._found: Recent[int, tuple[Artifact, ArtifactRef, bytes]] = Recent(size)

    def get(self, artifact: Artifact) -> tuple[ArtifactRef, bytes] | None:
        found = self._found.get(id(artifact))
        if found is None or found[0] is not artifact:
            return None
        return found[1], found[2]

    def add(self, artifact: Artifact, ref: ArtifactRef, data: bytes) -> None:
        self._found.put(id(artifact), (artifact, ref, data))


def _reference(artifact: Artifact, known: KnownArtifacts | None) -> tuple[ArtifactRef, bytes]:
    found = known.get(artifact) if known is not None else None
    if found is not None:
        return found
    data = artifact.content.encode("utf-8")
    ref = ArtifactRef(
        path=artifact.path,
        role=artifact.role,
        kind=artifact.kind,
        sha256=digest(data),
        size=len(data),
    )
    if known is not None:
        known.add(artifact, ref, data)
    return ref, data


def dehydrate(value: Any, store: BlobStore, known: KnownArtifacts | None = None) -> Any:
    """Every :class:`Artifact` in ``value`` as an :class:`ArtifactRef`, its text stored
    (``known``: artifacts referenced lately, not encoded and hashed again)."""
    artifacts = leaves(value, Artifact)
    if not artifacts:
        return value
    refs = {id(a): _reference(a, known) for a in artifacts}
    store.put_many({ref.sha256: data for ref, data in refs.values()})

    def to_ref(leaf: Any) -> Any:
        if not isinstance(leaf, Artifact):
            return leaf
        return refs[id(leaf)][0]

    return walk(value, to_ref)


def hydrate(value: Any, store: BlobStore) -> Any:
    """Every :class:`ArtifactRef` in ``value`` back as the :class:`Artifact` it names."""
    refs = leaves(value, ArtifactRef)
    if not refs:
        return value
    texts = store.get_many(r.sha256 for r in refs)

    def to_artifact(leaf: Any) -> Any:
        if not isinstance(leaf, ArtifactRef):
            return leaf
        text = texts[leaf.sha256].decode("utf-8")
        return Artifact(path=leaf.path, role=leaf.role, kind=leaf.kind, content=text)

    return walk(value, to_artifact)


# A checkpoint's maps of channel versions (strings and numbers only).
_VERSION_MAPS = ("channel_versions", "versions_seen")


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
        self._allowed = {tuple(m) for m in kwargs.get("allowed_msgpack_modules") or ()}
        # (channel, version) -> (when, stored form): LangGraph gives a channel a new version
        # (random-suffixed, so unique to its thread) with every update, so a version seen a
        # moment ago is the same value; a SQLite checkpoint carries every channel at every
        # step, and the unchanged ones are not encoded and hashed again.
        self._versions: Recent[tuple[str, str], tuple[float, Any]] = Recent(CACHED_BLOBS)
        # sha256 -> the value it decodes to (artifacts hydrated), most recent last.
        self._decoded: Recent[str, Any] = Recent(CACHED_VALUES)
        # id -> (model, its encoding, its hash): a frozen model (every model of the state is)
        # is written several times in a step (a node's write, each Send of the state, the
        # checkpoint's channel) and encodes to the same bytes each time; the model is held,
        # so its id is not reused while it is remembered.
        self._encodings: Recent[int, tuple[BaseModel, tuple[str, bytes], str | None]] = Recent(
            CACHED_ENCODINGS
        )
        self._artifacts = KnownArtifacts()

    def _encoded(self, value: Any) -> tuple[tuple[str, bytes], str | None]:
        """``value`` as :class:`JsonPlusSerializer` encodes it, and the hash of those bytes
        when known (a frozen model's over ``INLINE_LIMIT``, remembered by identity)."""
        if not isinstance(value, BaseModel) or not value.model_config.get("frozen"):
            return super().dumps_typed(value), None
        found = self._encodings.get(id(value))
        if found is not None and found[0] is value:
            return found[1], found[2]
        encoded = super().dumps_typed(value)
        sha = digest(encoded[1]) if len(encoded[1]) > INLINE_LIMIT else None
        self._encodings.put(id(value), (value, encoded, sha))
        return encoded, sha

    def _channel(self, name: str, version: Any, value: Any, blobs: dict[str, bytes]) -> Any:
        """A checkpoint's channel value as stored (a known version's as stored lately)."""
        key = (name, version) if isinstance(version, str) else None
        now = self.blob_store.clock()
        found = self._versions.get(key) if key is not None else None
        if found is not None and now - found[0] < TRUST_FOR:
            return found[1]
        stored = self._stored(dehydrate(value, self.blob_store, self._artifacts), blobs)
        if key is not None:
            self._versions.put(key, (now, stored))
        return stored

    def _stored(self, value: Any, blobs: dict[str, bytes]) -> Any:
        """``value``, or a :class:`StoredValue` naming its bytes (added to ``blobs``).

        A large dict (a graph's input) keeps its small members and names its large ones, so
        a member that a channel also holds is the same blob, stored once.
        """
        value = walk(value, lambda leaf: self._sent(leaf, blobs))
        (kind, data), sha = self._encoded(value)
        if kind != "msgpack" or len(data) <= INLINE_LIMIT:
            return value
        if isinstance(value, dict):
            parts = {k: self._stored(v, blobs) for k, v in value.items()}
            if any(isinstance(v, StoredValue) for v in parts.values()):
                value = parts
                (kind, data), sha = self._encoded(value)
                if len(data) <= INLINE_LIMIT:
                    return value
        sha = sha or digest(data)
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
            obj = self._stored(dehydrate(obj, self.blob_store, self._artifacts), blobs)
        self.blob_store.put_many(blobs)  # committed before the checkpoint that names them
        kind, data = super().dumps_typed(obj)
        if kind == "msgpack" and len(data) > ZIP_OVER:
            return ZIPPED, zlib.compress(data, ZIP_LEVEL)
        return kind, data

    def _sent(self, leaf: Any, blobs: dict[str, bytes]) -> Any:
        """A ``Send`` of a model as a ``Send`` of its :class:`SentModel`."""
        if not isinstance(leaf, Send) or not isinstance(leaf.arg, BaseModel):
            return leaf
        inline: dict[str, Any] = {}
        stored: dict[str, str] = {}
        for name, value in leaf.arg:
            kept = dehydrate(value, self.blob_store, self._artifacts)
            (kind, data), sha = self._encoded(kept)
            if kept is value and (kind != "msgpack" or len(data) <= INLINE_LIMIT):
                inline[name] = value
            else:
                stored[name] = sha or digest(data)
                blobs[stored[name]] = data
        model = type(leaf.arg)
        return Send(
            leaf.node,
            SentModel(module=model.__module__, name=model.__name__, inline=inline, stored=stored),
        )

    def _received(self, leaf: Any) -> Any:
        """A ``Send`` of a :class:`SentModel` as the ``Send`` of the model it names."""
        if not isinstance(leaf, Send) or not isinstance(leaf.arg, SentModel):
            return leaf
        sent = leaf.arg
        if (sent.module, sent.name) not in self._allowed:
            raise ValueError(f"refused to load a sent {sent.module}.{sent.name}")
        model = getattr(importlib.import_module(sent.module), sent.name)
        blobs = self.blob_store.get_many(sent.stored.values())
        fields = {
            name: hydrate(
                super(BlobSerializer, self).loads_typed(("msgpack", blobs[sha])), self.blob_store
            )
            for name, sha in sent.stored.items()
        }
        return Send(leaf.node, model.model_validate({**sent.inline, **fields}))

    def _decoded_values(self, shas: set[str]) -> dict[str, Any]:
        """The stored values of ``shas``, decoded (their own stored members too) and hydrated;
        each decoded once per process.

        A blob's bytes never change under its hash, and an unchanged state value keeps its
        hash from step to step, so the same value read again (the next step's checkpoint,
        the service's state reads) is not decoded again.
        """
        found = {}
        for sha in shas:
            value = self._decoded.get(sha)
            if value is not None:
                found[sha] = value
        missing = shas - found.keys()
        blobs = self.blob_store.get_many(missing) if missing else {}
        for sha in missing:
            value = self._resolved(super().loads_typed(("msgpack", blobs[sha])))
            found[sha] = value = hydrate(value, self.blob_store)
            self._decoded.put(sha, value)
        return found

    def _resolved(self, value: Any) -> Any:
        """``value`` with every :class:`StoredValue` in it (at any depth of plain dicts and
        lists) loaded from the store."""
        refs = leaves(value, StoredValue)
        if not refs:
            return value
        decoded = self._decoded_values({r.sha256 for r in refs})
        return walk(value, partial(self._loaded, decoded=decoded))

    def _loaded(self, leaf: Any, decoded: dict[str, Any]) -> Any:
        if not isinstance(leaf, StoredValue):
            return leaf
        # Fresh containers each time: a reader never shares a dict or list with another one.
        return walk(decoded[leaf.sha256], same)

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        if data[0] == ZIPPED:
            data = ("msgpack", zlib.decompress(data[1]))
        obj = super().loads_typed(data)
        # One scan finds what to fetch, one walk puts it back (a checkpoint is read at every
        # resume and state read, so walks are counted). A checkpoint's version maps hold
        # versions only (written as they are, see dumps_typed): neither looks into them.
        versions = {k: obj[k] for k in _VERSION_MAPS if k in obj} if _is_checkpoint(obj) else {}
        rest = {k: v for k, v in obj.items() if k not in versions} if versions else obj
        stored: set[str] = set()
        refs: set[str] = set()
        sends = False

        def note(leaf: Any) -> None:
            nonlocal sends
            if isinstance(leaf, StoredValue):
                stored.add(leaf.sha256)
            elif isinstance(leaf, ArtifactRef):
                refs.add(leaf.sha256)
            elif isinstance(leaf, Send):
                sends = True

        scan(rest, note)
        if not (stored or refs or sends):
            return obj
        decoded = self._decoded_values(stored) if stored else {}
        texts = self.blob_store.get_many(refs) if refs else {}
        restored = walk(rest, partial(self._restored, decoded=decoded, texts=texts))
        if not versions:
            return restored
        return {k: versions[k] if k in versions else restored[k] for k in obj}

    def _restored(self, leaf: Any, decoded: dict[str, Any], texts: dict[str, bytes]) -> Any:
        """A leaf of a loaded row as the graph sees it: a stored value decoded (in fresh
        containers, its sent models received), an artifact with its text, a send received."""
        if isinstance(leaf, StoredValue):
            return walk(decoded[leaf.sha256], self._received)
        if isinstance(leaf, ArtifactRef):
            text = texts[leaf.sha256].decode("utf-8")
            return Artifact(path=leaf.path, role=leaf.role, kind=leaf.kind, content=text)
        return self._received(leaf)
