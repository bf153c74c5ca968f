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
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable
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
from opsteam.domain.models import Artifact, ArtifactKind

CACHED_VALUES = 1024  # decoded state values kept per serializer (a request has ~20)
CACHED_ENCODINGS = 256  # encoded models kept per serializer (a request writes ~30)
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


# Leaves by their exact type: most of a state is these, and a type test costs less than the
# container tests (every checkpoint read and write walks the whole state).
_SCALARS = frozenset({str, int, float, bool, bytes, type(None)})


def _walk(value: Any, visit: Callable[[Any], Any]) -> Any:
    """``value`` with ``visit`` applied to every leaf inside plain dicts, lists and tuples,
    in fresh containers. Scalars are kept as they are: every visit here looks for a model
    (an artifact, a reference, a Send) and returns anything else unchanged."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict or (kind is not list and isinstance(value, dict)):
        return {k: v if type(v) in _SCALARS else _walk(v, visit) for k, v in value.items()}
    if kind is list or isinstance(value, list):
        return [v if type(v) in _SCALARS else _walk(v, visit) for v in value]
    if kind is tuple:
        return tuple(v if type(v) in _SCALARS else _walk(v, visit) for v in value)
    return visit(value)


def _scan(value: Any, note: Callable[[Any], None]) -> None:
    """``note`` called on every leaf of ``value`` that :func:`_walk` visits, but scalars (no
    caller looks for one), without building the copy :func:`_walk` returns."""
    kind = type(value)
    if kind in _SCALARS:
        return
    if kind is dict or (kind is not list and isinstance(value, dict)):
        items = value.values()
    elif kind is list or isinstance(value, list) or kind is tuple:
        items = value
    else:
        note(value)
        return
    for item in items:
        if type(item) not in _SCALARS:
            _scan(item, note)


def _same(leaf: Any) -> Any:
    return leaf


def _leaves(value: Any, kind: type[BaseModel]) -> list[Any]:
    found: list[Any] = []

    def collect(leaf: Any) -> None:
        if isinstance(leaf, kind):
            found.append(leaf)

    _scan(value, collect)
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
        self._versions: OrderedDict[tuple[str, str], tuple[float, Any]] = OrderedDict()
        self._versions_lock = threading.Lock()
        # sha256 -> the value it decodes to (artifacts hydrated), most recent last.
        self._decoded: OrderedDict[str, Any] = OrderedDict()
        self._decoded_lock = threading.Lock()
        # id -> (model, its encoding, its hash): a frozen model (every model of the state is)
        # is written several times in a step (a node's write, each Send of the state, the
        # checkpoint's channel) and encodes to the same bytes each time; the model is held,
        # so its id is not reused while it is remembered.
        self._encodings: OrderedDict[int, tuple[BaseModel, tuple[str, bytes], str | None]] = (
            OrderedDict()
        )
        self._encodings_lock = threading.Lock()

    def _encoded(self, value: Any) -> tuple[tuple[str, bytes], str | None]:
        """``value`` as :class:`JsonPlusSerializer` encodes it, and the hash of those bytes
        when known (a frozen model's over ``INLINE_LIMIT``, remembered by identity)."""
        if not isinstance(value, BaseModel) or not value.model_config.get("frozen"):
            return super().dumps_typed(value), None
        key = id(value)
        with self._encodings_lock:
            found = self._encodings.get(key)
            if found is not None and found[0] is value:
                self._encodings.move_to_end(key)
                return found[1], found[2]
        encoded = super().dumps_typed(value)
        sha = digest(encoded[1]) if len(encoded[1]) > INLINE_LIMIT else None
        with self._encodings_lock:
            self._encodings[key] = (value, encoded, sha)
            while len(self._encodings) > CACHED_ENCODINGS:
                self._encodings.popitem(last=False)
        return encoded, sha

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
        """``value``, or a :class:`StoredValue` naming its bytes (added to ``blobs``).

        A large dict (a graph's input) keeps its small members and names its large ones, so
        a member that a channel also holds is the same blob, stored once.
        """
        value = _walk(value, lambda leaf: self._sent(leaf, blobs))
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
            obj = self._stored(dehydrate(obj, self.blob_store), blobs)
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
            kept = dehydrate(value, self.blob_store)
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
        with self._decoded_lock:
            for sha in shas & self._decoded.keys():
                found[sha] = self._decoded[sha]
                self._decoded.move_to_end(sha)
        missing = shas - found.keys()
        blobs = self.blob_store.get_many(missing) if missing else {}
        for sha in missing:
            value = self._resolved(super().loads_typed(("msgpack", blobs[sha])))
            found[sha] = value = hydrate(value, self.blob_store)
            with self._decoded_lock:
                self._decoded[sha] = value
                while len(self._decoded) > CACHED_VALUES:
                    self._decoded.popitem(last=False)
        return found

    def _resolved(self, value: Any) -> Any:
        """``value`` with every :class:`StoredValue` in it (at any depth of plain dicts and
        lists) loaded from the store."""
        refs = _leaves(value, StoredValue)
        if not refs:
            return value
        decoded = self._decoded_values({r.sha256 for r in refs})
        return _walk(value, partial(self._loaded, decoded=decoded))

    def _loaded(self, leaf: Any, decoded: dict[str, Any]) -> Any:
        if not isinstance(leaf, StoredValue):
            return leaf
        # Fresh containers each time: a reader never shares a dict or list with another one.
        return _walk(decoded[leaf.sha256], _same)

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

        _scan(rest, note)
        if not (stored or refs or sends):
            return obj
        decoded = self._decoded_values(stored) if stored else {}
        texts = self.blob_store.get_many(refs) if refs else {}
        restored = _walk(rest, partial(self._restored, decoded=decoded, texts=texts))
        if not versions:
            return restored
        return {k: versions[k] if k in versions else restored[k] for k in obj}

    def _restored(self, leaf: Any, decoded: dict[str, Any], texts: dict[str, bytes]) -> Any:
        """A leaf of a loaded row as the graph sees it: a stored value decoded (in fresh
        containers, its sent models received), an artifact with its text, a send received."""
        if isinstance(leaf, StoredValue):
            return _walk(decoded[leaf.sha256], self._received)
        if isinstance(leaf, ArtifactRef):
            text = texts[leaf.sha256].decode("utf-8")
            return Artifact(path=leaf.path, role=leaf.role, kind=leaf.kind, content=text)
        return self._received(leaf)
