"""The history store (SQLAlchemy 2, typed ORM): incidents, changes, approvals, costs.

SQLite under the data home by default, Postgres by URL (``$OPSTEAM_DATABASE_URL``). The
schema is owned by the Alembic migrations in :mod:`opsteam.migrations`, applied on open; a
store already at the packaged head costs one query the first time a process opens it (none
after), and Alembic is never loaded.
"""

from __future__ import annotations

import math
import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Engine,
    bindparam,
    create_engine,
    event,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from opsteam.application.tables import (
    ApprovalRow,
    Base,
    ChangeRow,
    CostSampleRow,
    RequestRow,
)
from opsteam.domain.errors import InputError
from opsteam.domain.models import ChangeRequest, DecisionRecord
from opsteam.domain.settings import database_url
from opsteam.migrations import HEAD_REVISION


def normalize_url(url: str) -> str:
    """Plain ``postgresql://`` URLs use the psycopg 3 driver the postgres extra installs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, *, pooled: bool = False) -> Engine:
    """A new engine; SQLite files are opened per session unless ``pooled`` (the process's
    engine, see :func:`engine_for`, which notices a file deleted under it)."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        in_memory = make_url(url).database in (None, "", ":memory:")
        pooling: dict[str, Any] = {} if in_memory or pooled else {"poolclass": NullPool}
        engine = create_engine(url, connect_args={"timeout": 30}, **pooling)

        @event.listens_for(engine, "connect")
        def _pragmas(conn: Any, record: Any) -> None:
            del record
            cursor = conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if not in_memory:  # as the checkpoint file (docs/architecture.md, durability)
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


_ENGINES: OrderedDict[str, Engine] = OrderedDict()
_FILES: dict[str, tuple[int, int] | None] = {}  # the SQLite file each engine has open
_ENGINES_LOCK = threading.Lock()
MAX_ENGINES = 8  # a process normally has one URL; a test run opens many homes


def _file_identity(url: str) -> tuple[int, int] | None:
    """(device, inode) of a SQLite URL's file; None when absent (or not a file URL)."""
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    if database in (None, "", ":memory:"):
        return None
    try:
        found = Path(str(database)).stat()
    except OSError:
        return None
    return found.st_dev, found.st_ino


def engine_for(url: str) -> Engine:
    """The process's one engine for ``url``: one pool (Postgres), one kept connection (a
    SQLite file: no open, journal replay and close per write); a SQLite file deleted or
    replaced under the process is opened afresh."""
    url = normalize_url(url)
    with _ENGINES_LOCK:
        engine = _ENGINES.pop(url, None)
        now = _file_identity(url)
        if engine is not None and _FILES.get(url) not in (None, now):
            engine.dispose()
            engine = None
        _FILES[url] = now
        engine = engine or make_engine(url, pooled=True)
        _ENGINES[url] = engine
        while len(_ENGINES) > MAX_ENGINES:
            oldest_url, oldest = _ENGINES.popitem(last=False)
            _FILES.pop(oldest_url, None)
            oldest.dispose()
        return engine


def migrations_dir() -> Path:
    return Path(str(resources.files("opsteam.migrations")))


def upgrade_to_head(url: str | Engine) -> None:
    """Apply every Alembic migration (idempotent); finds scripts inside the package."""
    from alembic import command
    from alembic.config import Config

    engine = url if isinstance(url, Engine) else make_engine(url)
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    if not isinstance(url, Engine):
        engine.dispose()


class Store:
    """A handle on the history database; each ``session()`` is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Commit on success, roll back everything on any error."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session


def schema_is_current(engine: Engine) -> bool:
    """One cheap query: does the store already carry the packaged head revision?"""
    try:
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT version_num FROM alembic_version"))
            return list(stored.scalars()) == [HEAD_REVISION]
    except DBAPIError:  # a new database: no alembic_version table yet
        return False


# Engines whose database this process found (or made) current: a schema only moves forward,
# and a SQLite file replaced under the process gets a new engine (engine_for), checked again.
_CURRENT: weakref.WeakSet[Engine] = weakref.WeakSet()


@contextmanager
def open_store(home: Path | None = None, *, url: str | None = None) -> Iterator[Store]:
    """Open the store of ``home`` or of an explicit URL, migrating it first when it is behind."""
    if url is None:
        if home is None:
            raise ValueError("open_store needs a home or a url")
        home.mkdir(parents=True, exist_ok=True)
        url = database_url(home)
    engine = engine_for(url)
    if engine not in _CURRENT:
        if not schema_is_current(engine):
            from opsteam.application.locks import schema_lock

            with schema_lock(url):  # concurrent first commands: one migrates, the others wait
                if not schema_is_current(engine):
                    upgrade_to_head(engine)
        _CURRENT.add(engine)
    yield Store(engine)


# ---- writes the request flow calls -------------------------------------------------------

CHANGE_OUTCOMES = ("succeeded", "failed", "rolled-back", "rejected")
StoreOrSession = Store | Session


@contextmanager
def _transaction(target: StoreOrSession) -> Iterator[Session]:
    """A Store opens its own transaction; a caller's Session keeps the caller's."""
    if isinstance(target, Store):
        with target.session() as session:
            yield session
    else:
        yield target


def _aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError(f"{field}: must include a timezone")
    return value.astimezone(UTC)


def record_change(
    target: StoreOrSession,
    thread_id: str,
    request: ChangeRequest,
    outcome: str,
    at: datetime,
    *,
    created_at: datetime | None = None,
    resources_as_code: int | None = None,
    resources_total: int | None = None,
    bundle_path: str | None = None,
) -> None:
    """Record (or update) how a request thread ended; everything is checked before writing."""
    problems = []
    if not thread_id.strip() or len(thread_id) > 100:
        problems.append("thread_id: must be 1-100 characters")
    if outcome not in CHANGE_OUTCOMES:
        problems.append(f"outcome: {outcome!r} is not one of {', '.join(CHANGE_OUTCOMES)}")
    counts = (resources_as_code, resources_total)
    if any(c is not None and c < 0 for c in counts) or (
        None not in counts and (resources_as_code or 0) > (resources_total or 0)
    ):
        problems.append("resources: need 0 <= resources_as_code <= resources_total")
    if problems:
        raise InputError(problems[0], problems)
    finished = _aware(at, "at")
    created = _aware(created_at, "created_at") if created_at else finished
    values: dict[str, Any] = {
        "title": request.request,
        "service": request.service_name,
        "component": request.component.value,
        "environment": request.environment.value,
        "type": request.type.value,
        "outcome": outcome,
        "created_at": created,
        "finished_at": finished,
        "resources_as_code": resources_as_code,
        "resources_total": resources_total,
        "bundle_path": bundle_path,
    }
    with _transaction(target) as session:
        row = session.get(ChangeRow, thread_id)
        if row is None:
            session.add(ChangeRow(thread_id=thread_id, **values))
        else:
            values["created_at"] = row.created_at if created_at is None else created
            for key, value in values.items():
                setattr(row, key, value)


def record_approval(target: StoreOrSession, thread_id: str, decision: DecisionRecord) -> None:
    """Record who decided what at a checkpoint; the same round is recorded once."""
    if not thread_id.strip() or len(thread_id) > 100:
        raise InputError("thread_id: must be 1-100 characters")
    at = _aware(decision.at, "at")
    with _transaction(target) as session:
        _upsert(
            session,
            ApprovalRow,
            {"thread_id": thread_id, "checkpoint": decision.checkpoint, "round": decision.round},
            {"verdict": decision.verdict, "by": decision.by, "at": at, "reason": decision.reason},
        )


_UPSERTS: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], Any] = {}


def _upsert(
    session: Session,
    row: type[Base],
    key: dict[str, Any],
    values: dict[str, Any],
    first: dict[str, Any] | None = None,
) -> None:
    """Insert the row of ``key``, or update its ``values`` in place: one statement, not a
    read then a write through the ORM (``first``: columns set only when it is inserted)."""
    dialect = session.get_bind().dialect.name
    columns = (*key, *values, *(first or {}))
    found = (dialect, row.__tablename__, columns, tuple(values))
    if found not in _UPSERTS:  # built once per shape: building one costs more than running it
        _UPSERTS[found] = _upsert_statement(dialect, row, list(key), columns, list(values))
    # On the session's connection: a plain statement, not the ORM's bulk-insert path.
    session.connection().execute(_UPSERTS[found], {**key, **values, **(first or {})})


def _upsert_statement(
    dialect: str, row: type[Base], key: list[str], columns: tuple[str, ...], update: list[str]
) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement: Any = pg_insert(Base.metadata.tables[row.__tablename__])
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(Base.metadata.tables[row.__tablename__])
    else:  # pragma: no cover - the store is SQLite or PostgreSQL
        raise ValueError(f"history store on {dialect} is not supported")
    statement = statement.values({name: bindparam(name) for name in columns})
    changed = {name: statement.excluded[name] for name in update}
    return statement.on_conflict_do_update(index_elements=key, set_=changed)


def check_cost_sample(month: str, amount: float) -> None:
    """A month as YYYY-MM (01-12) and a finite, non-negative amount."""
    problems = []
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        problems.append(f"month: {month!r} is not a month as YYYY-MM (e.g. 2026-03)")
    if not math.isfinite(amount) or amount < 0:
        problems.append(f"amount: {amount!r} must be a non-negative number")
    if problems:
        raise InputError(problems[0], problems)


def record_cost_sample(target: StoreOrSession, month: str, amount: float) -> None:
    """The cloud spend of one month (YYYY-MM); recording a month again replaces it."""
    check_cost_sample(month, amount)
    with _transaction(target) as session:
        row = session.get(CostSampleRow, month)
        if row is None:
            session.add(CostSampleRow(month=month, amount=amount))
        else:
            row.amount = amount


def record_request(
    target: StoreOrSession,
    thread_id: str,
    request: ChangeRequest,
    *,
    status: str,
    summary: str,
    pending: list[dict[str, Any]],
    at: datetime,
    view: bytes | None = None,
) -> None:
    """Insert or refresh the request's listing row (idempotent: the same step twice is one row),
    its status and its saved view together."""
    now = _aware(at, "at")
    values = {
        "title": request.request,
        "service": request.service_name,
        "environment": request.environment.value,
        "status": status,
        "summary": summary,
        "pending": pending,
        "updated_at": now,
    }
    with _transaction(target) as session:
        _upsert(
            session,
            RequestRow,
            {"thread_id": thread_id},
            {**values, "view": view},
            {"created_at": now},
        )


def clear_view(target: StoreOrSession, thread_id: str) -> None:
    """A run starts on the request: its saved view no longer shows it (until it settles)."""
    statement = update(RequestRow).where(RequestRow.thread_id == thread_id).values(view=None)
    with _transaction(target) as session:
        # No row object of this session is read after it (each caller opens its own), so
        # nothing to synchronise: the default would compile an in-Python evaluator first.
        session.execute(statement.execution_options(synchronize_session=False))


def recent_requests(target: StoreOrSession, limit: int) -> list[RequestRow]:
    """Most recently updated first; one indexed query, flat in the number of stored requests."""
    with _transaction(target) as session:
        query = select(RequestRow).order_by(RequestRow.updated_at.desc()).limit(limit)
        return list(session.scalars(query))
