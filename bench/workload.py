"""What the benchmarks run: the examples, the routes they take, checkpointers, PostgreSQL.

opsteam runs with the in-memory fake verifier from ``tests/fakes.py`` so the validators are not
what is measured (their cost has its own section).
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command

from bench.bare import SPECIALISTS, Graph, Route, drive
from opsteam.application.blobs import BlobStore
from opsteam.application.checkpoints import SQLITE_PRAGMAS, serializer
from opsteam.application.results import RunResult
from opsteam.application.service import Opsteam
from opsteam.domain.models import ChangeRequest
from opsteam.domain.registry import Registry
from opsteam.graphs.state import RequestState
from opsteam.intake import parse_requests
from tests.fakes import ParseOnlyVerifier

ROOT = Path(__file__).resolve().parent.parent
DEV, PROD = "redis-cache-dev.yaml", "prod-postgres-ha.yaml"
SAVERS = ("none", "memory", "sqlite", "postgres")
SAVER_NAMES = {"none": "no checkpointer", "memory": "InMemorySaver", "sqlite": "SqliteSaver"}
SAVER_NAMES["postgres"] = "PostgresSaver"


def examples() -> dict[str, ChangeRequest]:
    found = {}
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        requests = parse_requests(path.read_bytes(), path.name)
        for index, request in enumerate(requests):
            found[path.name if len(requests) == 1 else f"{path.name}[{index}]"] = request
    return found


def answer() -> dict[str, Any]:
    """An approval, as a person gives it at any checkpoint."""
    return {"verdict": "approve", "by": "bench", "at": datetime.now(UTC).isoformat(), "reason": ""}


def new_thread() -> str:
    return f"chg-{uuid.uuid4().hex[:12]}"


def opsteam_payload(thread_id: str, request: ChangeRequest) -> RequestState:
    return RequestState(thread_id=thread_id, request=request, bundle_dir="")


def bare_payload(request: ChangeRequest, route: Route) -> dict[str, Any]:
    return {"request": request.model_dump(mode="json"), "route": route}


def route_of(graph: Graph, request: ChangeRequest) -> Route:
    """Run ``request`` through the opsteam graph, approving everything; note what ran."""
    thread_id = new_thread()
    config: Any = {"configurable": {"thread_id": thread_id}}
    ran: set[str] = set()
    asked: list[tuple[str, str]] = []
    payload: Any = opsteam_payload(thread_id, request)
    while True:
        for update in graph.stream(payload, config, stream_mode="updates", durability="sync"):
            ran |= set(update)
        tasks = [t for t in graph.get_state(config).tasks if t.interrupts]
        if not tasks:
            break
        asked += [(t.name, t.interrupts[0].value["checkpoint"]) for t in tasks]
        payload = Command(resume={t.interrupts[0].id: answer() for t in tasks})
    return Route(
        specialists=[s for s in SPECIALISTS if s in ran],
        checkpoints=[kind for node, kind in asked if node == "checkpoint"],
        gate=any(node == "change_gate" for node, _ in asked),
        redirect="architect" not in ran,
    )


def run_service(team: Opsteam, request: ChangeRequest) -> RunResult:
    """Submit through the service and approve every checkpoint until the request ends."""
    [result] = team.submit([request])
    while result.pending:
        result = team.decide(result.thread_id, "approve", all_pending=True, by="bench")
    if result.status not in ("completed", "redirected") or result.error:
        raise SystemExit(f"bench: {request.request} ended {result.status}: {result.error}")
    return result


def run_graph(graph: Graph, request: ChangeRequest) -> int:
    thread_id = new_thread()
    return drive(graph, thread_id, opsteam_payload(thread_id, request), answer())


def run_bare(graph: Graph, request: ChangeRequest, route: Route) -> int:
    return drive(graph, new_thread(), bare_payload(request, route), answer())


class NoDiagrams:
    """No SVG (the plan keeps its Mermaid source): the Mermaid CLI drives a Chromium, an
    external tool like the validators, measured on its own in the validators section."""

    def render_svg(self, source: str) -> str | None:
        del source
        return None


@dataclass
class Workload:
    """Everything the sections share: roster, requests and routes, PostgreSQL, scratch."""

    registry: Registry
    requests: dict[str, ChangeRequest]
    routes: dict[str, Route]
    postgres: str | None  # a reachable server's URL, else None
    scratch: Path

    def team(self, home: Path) -> Opsteam:
        return Opsteam(
            home=home, registry=self.registry, verifier=ParseOnlyVerifier(), renderer=NoDiagrams()
        )

    def mix(self, count: int) -> list[str]:
        """``count`` example names, cycling through every example in turn."""
        names = sorted(self.requests)
        return [names[i % len(names)] for i in range(count)]

    def home(self, name: str) -> Path:
        path = self.scratch / f"{name}-{uuid.uuid4().hex[:6]}"
        path.mkdir(parents=True)
        return path


@contextmanager
def saver(kind: str, where: str, *, opsteam: bool) -> Iterator[BaseCheckpointSaver[Any] | None]:
    """A checkpointer of ``kind`` at ``where`` (a file, or a Postgres URL).

    opsteam's savers are configured as the service configures them: its restricted serializer,
    and on SQLite and PostgreSQL the blob store beside the checkpoints (artifacts and large
    values by hash) and, on SQLite, synchronous=NORMAL. The bare graph's use LangGraph's
    defaults (SqliteSaver: WAL, synchronous=FULL).
    """
    if kind == "none":
        yield None
    elif kind == "memory":
        yield InMemorySaver(serde=serializer() if opsteam else None)
    elif kind == "sqlite":
        store = BlobStore.sqlite(where) if opsteam else None
        conn = sqlite3.connect(where, check_same_thread=False, timeout=30)
        if opsteam:
            for pragma in SQLITE_PRAGMAS:
                conn.execute(pragma)
        try:
            sqlite_saver = SqliteSaver(conn, serde=serializer(store) if opsteam else None)
            sqlite_saver.setup()
            yield sqlite_saver
        finally:
            conn.close()
            if store is not None:
                store.close()
    else:
        store = BlobStore.postgres(where) if opsteam else None
        try:
            with _postgres_saver(where, serializer(store) if opsteam else None) as pg_saver:
                yield pg_saver
        finally:
            if store is not None:
                store.close()


@contextmanager
def _postgres_saver(url: str, serde: Any) -> Iterator[BaseCheckpointSaver[Any]]:
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg import Connection
    from psycopg.rows import dict_row

    with Connection.connect(
        url, autocommit=True, prepare_threshold=0, row_factory=dict_row
    ) as conn:
        pg_saver = PostgresSaver(conn, serde=serde)
        pg_saver.setup()
        yield pg_saver


def postgres_reachable(url: str) -> str | None:
    """None when ``url`` answers, else why not."""
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=5).close()
    except Exception as exc:  # ImportError or any connection failure: say why, carry on
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"
    return None


@contextmanager
def postgres_schema(base: str, label: str) -> Iterator[str]:
    """A URL whose search_path is a fresh schema on ``base`` (dropped afterwards)."""
    import psycopg

    schema = f"opsteam_bench_{label}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set ``OPSTEAM_*`` variables for the service (settings read the environment per call)."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def prepare(scratch: Path, postgres: str | None) -> Workload:
    """Load the examples and learn each one's route; refuse a baseline of another shape."""
    from bench.bare import build_bare_graph, check_same_shape
    from opsteam.domain.registry import load_registry
    from opsteam.graphs.request import build_request_graph

    registry = load_registry()
    saver = InMemorySaver(serde=serializer())
    graph = build_request_graph(registry, ParseOnlyVerifier(), checkpointer=saver)
    check_same_shape(graph, build_bare_graph())
    requests = examples()
    routes = {name: route_of(graph, request) for name, request in requests.items()}
    return Workload(registry, requests, routes, postgres, scratch)
