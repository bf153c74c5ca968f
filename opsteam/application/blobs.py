"""Content-addressed bytes beside the checkpoints: the ``opsteam_blobs`` table.

Its own module, free of LangGraph, so a command that only reads stored files (``opsteam
show`` of a request at rest) reads them without importing the graph machinery; the
checkpoint serializer that writes them is :mod:`opsteam.application.artifact_store`.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, Literal


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
ZIP_OVER = 256  # payloads (rows and blobs) over this many bytes are stored compressed
ZIP_LEVEL = 6


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
