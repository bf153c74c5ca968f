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

import hashlib
import importlib
import sqlite3
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, Literal

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.types import Send
from pydantic import BaseModel, ConfigDict

from opsteam.domain.models import Artifact, ArtifactKind


def unzipped(data: bytes) -> bytes:
    """A blob's bytes: compressed since the store compresses, as written by a store before."""
    try:
        return zlib.decompress(data)
    except zlib.error:
        return data


_TABLE = (
    "CREATE TABLE IF NOT EXISTS opsteam_blobs (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, "
    "content {blob} NOT NULL, touched {real} NOT NULL DEFAULT 0)"
)
_TOUCHED = "ALTER TABLE opsteam_blobs ADD COLUMN touched {real} NOT NULL DEFAULT 0"
# Insert a blob, or mark an existing one as relied on now (unless it was within TOUCH_EVERY).
_UPSERT = (
    "INSERT INTO opsteam_blobs (sha256, size, content, touched) VALUES ({m}, {m}, {m}, {m}) "
    "ON CONFLICT (sha256) DO UPDATE SET touched = excluded.touched "
    "WHERE opsteam_blobs.touched < excluded.touched - {every}"
)
_SELECT_SQLITE = "SELECT sha256, content FROM opsteam_blobs WHERE sha256 IN ({})"
_SELECT_PG = "SELECT sha256, content FROM opsteam_blobs WHERE sha256 = ANY(%s)"
# A blob is collected only when unreferenced and not touched for COLLECT_AFTER seconds. A
# writer skips storing a blob it stored (or touched) itself within TRUST_FOR seconds; a row
# is touched again at most every TOUCH_EVERY seconds. A writer that skips at time t has the
# row touched at or after t - TRUST_FOR - TOUCH_EVERY, so a collector removes it only if the
# checkpoint naming it commits more than COLLECT_AFTER - TRUST_FOR - TOUCH_EVERY (30 minutes)
# after t: never, short of a process frozen mid-write. (Hosts' clocks must agree to minutes.)
COLLECT_AFTER = 3600.0
TRUST_FOR = 900.0
TOUCH_EVERY = 900.0
CACHED_BLOBS = 4096  # blobs kept in memory per process (a request makes about 40)
CACHED_VALUES = 1024  # decoded state values kept per serializer (a request has ~20)
INLINE_LIMIT = 1024  # state values up to this many bytes stay inside the checkpoint
ZIPPED = "msgpack+zlib"  # the serialized type of a compressed row payload
ZIP_OVER = 256  # payloads (rows and blobs) over this many bytes are stored compressed
ZIP_LEVEL = 6


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


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore:
    """Content-addressed bytes in the checkpoint database, cached in this process.

    Its own connection in autocommit, so a blob is committed before the checkpoint that
    names it is written (the savers serialise before they write).
    """

    def __init__(
        self,
        connect: Callable[[], Any],
        dialect: Literal["sqlite", "postgres"],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._connect = connect
        self._conn: Any = None
        self._pg = dialect == "postgres"
        self._cache: OrderedDict[str, bytes] = OrderedDict()  # bytes read or written (by hash)
        self._stored: OrderedDict[str, float] = OrderedDict()  # hash -> when this one stored it
        self._lock = threading.RLock()
        self.clock = clock
        mark = "%s" if self._pg else "?"
        self._upsert = _UPSERT.format(m=mark, every=TOUCH_EVERY)

    @classmethod
    def sqlite(cls, path: str) -> BlobStore:
        def connect() -> sqlite3.Connection:
            conn = sqlite3.connect(path, check_same_thread=False, timeout=30, isolation_level=None)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(_TABLE.format(blob="BLOB", real="REAL"))
            columns = [row[1] for row in conn.execute("PRAGMA table_info(opsteam_blobs)")]
            if "touched" not in columns:  # a table from before collection existed
                conn.execute(_TOUCHED.format(real="REAL"))
            return conn

        return cls(connect, "sqlite")

    @classmethod
    def postgres(cls, url: str) -> BlobStore:
        def connect() -> Any:
            from psycopg import Connection

            from opsteam.application.locks import schema_lock

            conn = Connection.connect(url, autocommit=True, prepare_threshold=0)
            with schema_lock(url):  # concurrent first uses: CREATE ... IF NOT EXISTS races
                conn.execute(_TABLE.format(blob="BYTEA", real="DOUBLE PRECISION"))
                conn.execute(
                    _TOUCHED.format(real="DOUBLE PRECISION").replace(
                        "ADD COLUMN", "ADD COLUMN IF NOT EXISTS"
                    )
                )
            return conn

        return cls(connect, "postgres")

    @property
    def postgres_dialect(self) -> bool:
        return self._pg

    def connection(self) -> Any:
        """The store's own connection (autocommit), for the collector."""
        with self._lock:
            return self._connection()

    def forget_stored(self) -> None:
        """Trust nothing as stored any more (a collection ran in this process)."""
        with self._lock:
            self._stored.clear()

    def _connection(self) -> Any:
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _remember(self, sha: str, data: bytes) -> None:
        self._cache[sha] = data
        self._cache.move_to_end(sha)
        while len(self._cache) > CACHED_BLOBS:
            self._cache.popitem(last=False)

    def _trusted(self, sha: str, now: float) -> bool:
        stored = self._stored.get(sha)
        return stored is not None and now - stored < TRUST_FOR

    def put_many(self, blobs: dict[str, bytes]) -> None:
        """Store every blob (sha256 -> bytes) this process has not stored (or touched) in the
        last TRUST_FOR seconds, in one statement; one stored already is marked as relied on."""
        with self._lock:
            now = self.clock()
            fresh = {s: b for s, b in blobs.items() if not self._trusted(s, now)}
            if not fresh:
                return
            zipped = {s: zlib.compress(b, ZIP_LEVEL) for s, b in fresh.items()}
            rows = [(s, len(z), z, now) for s, z in zipped.items()]
            if self._pg:
                with self._connection().cursor() as cur:
                    cur.executemany(self._upsert, rows)
            else:
                conn = self._connection()
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(self._upsert, rows)
                conn.execute("COMMIT")
            for sha, data in fresh.items():
                self._remember(sha, data)
                self._stored[sha] = now
                self._stored.move_to_end(sha)
            while len(self._stored) > CACHED_BLOBS:
                self._stored.popitem(last=False)

    def get_many(self, shas: Iterable[str]) -> dict[str, bytes]:
        """The bytes of the given hashes; one query for those not cached. KeyError if absent."""
        wanted = set(shas)
        with self._lock:
            found = {s: self._cache[s] for s in wanted if s in self._cache}
            missing = sorted(wanted - found.keys())
            if missing:
                if self._pg:
                    rows = self._connection().execute(_SELECT_PG, (missing,)).fetchall()
                else:
                    marks = ",".join("?" * len(missing))
                    rows = self._connection().execute(_SELECT_SQLITE.format(marks), missing)
                for sha, data in rows:
                    found[sha] = unzipped(bytes(data))
                    self._remember(sha, found[sha])
        absent = wanted - found.keys()
        if absent:
            raise KeyError(f"stored value missing from the checkpoint store: {min(absent)}")
        return found


def _walk(value: Any, visit: Callable[[Any], Any]) -> Any:
    """``value`` with ``visit`` applied to every leaf inside plain dicts, lists and tuples."""
    if isinstance(value, dict):
        return {k: _walk(v, visit) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, visit) for v in value]
    if isinstance(value, tuple) and type(value) is tuple:
        return tuple(_walk(v, visit) for v in value)
    return visit(value)


def _same(leaf: Any) -> Any:
    return leaf


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
        kind, data = super().dumps_typed(value)
        if kind != "msgpack" or len(data) <= INLINE_LIMIT:
            return value
        if isinstance(value, dict):
            parts = {k: self._stored(v, blobs) for k, v in value.items()}
            if any(isinstance(v, StoredValue) for v in parts.values()):
                value = parts
                kind, data = super().dumps_typed(value)
                if len(data) <= INLINE_LIMIT:
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

    def _sent(self, leaf: Any, blobs: dict[str, bytes]) -> Any:
        """A ``Send`` of a model as a ``Send`` of its :class:`SentModel`."""
        if not isinstance(leaf, Send) or not isinstance(leaf.arg, BaseModel):
            return leaf
        inline: dict[str, Any] = {}
        stored: dict[str, str] = {}
        for name, value in leaf.arg:
            kept = dehydrate(value, self.blob_store)
            kind, data = super().dumps_typed(kept)
            if kept is value and (kind != "msgpack" or len(data) <= INLINE_LIMIT):
                inline[name] = value
            else:
                stored[name] = digest(data)
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
        obj = self._resolved(super().loads_typed(data))
        return _walk(hydrate(obj, self.blob_store), self._received)
