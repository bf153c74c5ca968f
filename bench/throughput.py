"""Many requests end to end in one process (a mix of every example), and storage growth.

opsteam (through the service) and the bare graph alternate in chunks, so both see the same
machine load; each is timed only over its own chunks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from bench.bare import build_bare_graph
from bench.report import Row, Section
from bench.stats import ratio, seconds, size
from bench.workload import (
    SAVER_NAMES,
    Workload,
    environment,
    postgres_schema,
    run_bare,
    run_service,
    saver,
)

Runner = Callable[[str], object]


@dataclass
class Contender:
    """One side of the race: how to run a request by example name, how big its storage is."""

    run: Runner
    stored_bytes: Callable[[], int]
    elapsed: float = 0.0


def sqlite_bytes(*files: Path) -> int:
    """Database files with their write-ahead logs (the data not yet checkpointed into them)."""
    paths = [*files, *(f.with_name(f.name + "-wal") for f in files)]
    return sum(p.stat().st_size for p in paths if p.exists())


def postgres_bytes(url: str) -> int:
    """Tables, indexes and TOAST of the schema the URL's search_path names."""
    import psycopg

    query = (
        "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')"
    )
    with psycopg.connect(url) as conn:
        row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


@contextmanager
def contenders(work: Workload, kind: str) -> Iterator[tuple[Contender, Contender, Path]]:
    """opsteam's service and the bare graph on ``kind``; also the service's home."""
    with ExitStack() as stack:
        home = work.home(f"bulk-{kind}")
        bare_file = work.scratch / f"bulk-bare-{kind}.sqlite"
        where = str(bare_file)
        service_bytes = partial(sqlite_bytes, home / "checkpoints.sqlite", home / "opsteam.db")
        bare_bytes = partial(sqlite_bytes, bare_file)
        if kind == "postgres":
            assert work.postgres is not None
            service_url = stack.enter_context(postgres_schema(work.postgres, "bulk_service"))
            where = stack.enter_context(postgres_schema(work.postgres, "bulk_bare"))
            stack.enter_context(environment(OPSTEAM_DATABASE_URL=service_url))
            service_bytes = partial(postgres_bytes, service_url)
            bare_bytes = partial(postgres_bytes, where)
        bare = build_bare_graph(stack.enter_context(saver(kind, where, opsteam=False)))
        team = work.team(home)
        ops = Contender(lambda n: run_service(team, work.requests[n]), service_bytes)
        base = Contender(lambda n: run_bare(bare, work.requests[n], work.routes[n]), bare_bytes)
        yield ops, base, home


def race(ops: Contender, base: Contender, names: list[str], chunk: int) -> None:
    """Alternate chunks of requests, the order flipping each time; time each side's own."""
    for index, start in enumerate(range(0, len(names), chunk)):
        part = names[start : start + chunk]
        order = (ops, base) if index % 2 == 0 else (base, ops)
        for side in order:
            began = time.perf_counter()
            for name in part:
                side.run(name)
            side.elapsed += time.perf_counter() - began


def _rows(
    kind: str, count: int, ops: Contender, base: Contender, grown: tuple[int, int]
) -> list[Row]:
    label = SAVER_NAMES[kind]
    return [
        Row(
            f"{count} requests, {label}, total",
            seconds(ops.elapsed),
            seconds(base.elapsed),
            ratio(ops.elapsed, base.elapsed),
        ),
        Row(
            f"{count} requests, {label}, requests per second",
            f"{count / ops.elapsed:.1f}",
            f"{count / base.elapsed:.1f}",
            ratio(base.elapsed, ops.elapsed),
            "higher is better",
        ),
        Row(
            f"database growth per request, {label}",
            size(grown[0] / count),
            size(grown[1] / count),
            ratio(grown[0], grown[1]),
            "opsteam: checkpoints + history store",
        ),
    ]


def throughput(work: Workload, *, count: int, chunk: int) -> tuple[Section, Path]:
    """The section, and the SQLite service home (``count`` + warm-up requests stored)."""
    section = Section(
        f"{count} requests end to end, one process, a mix of the {len(work.requests)} examples",
        "the bare graph of the same shape on the same checkpointer, the same requests",
    )
    names = work.mix(count)
    kept = Path()
    for kind in ("sqlite", "postgres"):
        if kind == "postgres" and work.postgres is None:
            continue
        with contenders(work, kind) as (ops, base, home):
            for name in work.mix(len(work.requests)):  # warm-up: every example once, untimed
                ops.run(name)
                base.run(name)
            before = (ops.stored_bytes(), base.stored_bytes())
            race(ops, base, names, chunk)
            grown = (ops.stored_bytes() - before[0], base.stored_bytes() - before[1])
        total, speed, growth = _rows(kind, count, ops, base, grown)
        section.add(total, f"bulk:{kind}")
        section.add(speed)
        section.add(growth, f"growth:{kind}")
        if kind == "sqlite":
            kept = home
    section.notes += [
        f"Chunks of {chunk} requests alternate between opsteam and the bare graph; every "
        "checkpoint of every request is approved. opsteam runs through the service with the "
        "parse-only fake verifier.",
        "Growth: file sizes (with write-ahead logs) for SQLite, pg_total_relation_size of the "
        "schema for PostgreSQL, measured after a warm-up of one request per example. "
        "opsteam's growth includes the blob table beside its checkpoints (artifact texts and "
        "large state values, stored once by hash, compressed). The mix repeats the same "
        "examples, so requests that render identical files share those blobs; requests that "
        "are all different would grow more (the footprint section shows one request alone).",
    ]
    return section, kept
