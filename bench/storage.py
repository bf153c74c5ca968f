"""Checkpoint rows and bytes of one request: paused at its first checkpoint, and finished."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from langgraph.types import Command

from bench.bare import build_bare_graph
from bench.report import Row, Section
from bench.stats import ratio, size
from bench.workload import (
    PROD,
    SAVER_NAMES,
    Workload,
    answer,
    bare_payload,
    environment,
    new_thread,
    postgres_schema,
    saver,
)
from opsteam.application.blobs import digest

Footprint = tuple[int, int]  # rows, bytes
BLOBS = "SELECT sha256, size FROM opsteam_blobs"
SQLITE_QUERIES = (
    "SELECT count(*), coalesce(sum(length(checkpoint) + length(metadata)), 0) "
    "FROM checkpoints WHERE thread_id = ?",
    "SELECT count(*), coalesce(sum(length(value)), 0) FROM writes WHERE thread_id = ?",
)
POSTGRES_QUERIES = (
    "SELECT count(*), coalesce(sum(octet_length(checkpoint::text) "
    "+ octet_length(metadata::text)), 0) FROM checkpoints WHERE thread_id = %s",
    "SELECT count(*), coalesce(sum(coalesce(octet_length(blob), 0)), 0) "
    "FROM checkpoint_blobs WHERE thread_id = %s",
    "SELECT count(*), coalesce(sum(octet_length(blob)), 0) "
    "FROM checkpoint_writes WHERE thread_id = %s",
)


def blobs(kind: str, where: str) -> dict[str, int]:
    """sha256 -> size of every blob opsteam stored beside the checkpoints at ``where``."""
    if kind == "sqlite":
        with sqlite3.connect(where) as conn:
            return dict(conn.execute(BLOBS).fetchall())
    import psycopg

    with psycopg.connect(where) as pg:
        return {str(s): int(n) for s, n in pg.execute(BLOBS).fetchall()}


def split_blobs(team: Any, thread_id: str, stored: dict[str, int]) -> tuple[int, int]:
    """(artifact text bytes, other value bytes) among the blobs of a home holding one thread."""
    texts = {digest(a.content.encode("utf-8")) for a in team.state(thread_id).all_artifacts()}
    artifacts = sum(n for sha, n in stored.items() if sha in texts)
    return artifacts, sum(stored.values()) - artifacts


def footprint(kind: str, where: str, thread_id: str) -> Footprint:
    """Rows and payload bytes (checkpoints, blobs, pending writes) the thread holds."""
    if kind == "sqlite":
        with sqlite3.connect(where) as conn:
            counts = [conn.execute(q, (thread_id,)).fetchone() for q in SQLITE_QUERIES]
    else:
        import psycopg

        with psycopg.connect(where) as pg:
            counts = [pg.execute(q, (thread_id,)).fetchone() for q in POSTGRES_QUERIES]
    return sum(int(c[0]) for c in counts), sum(int(c[1]) for c in counts)


@contextmanager
def places(work: Workload, kind: str) -> Iterator[tuple[Path, str, str]]:
    """The service's home, and where it and the bare graph keep checkpoints for ``kind``."""
    home = work.home(f"storage-{kind}")
    if kind == "sqlite":
        yield home, str(home / "checkpoints.sqlite"), str(work.scratch / "storage-bare.sqlite")
        return
    assert work.postgres is not None
    with ExitStack() as stack:
        service = stack.enter_context(postgres_schema(work.postgres, "storage_service"))
        bare = stack.enter_context(postgres_schema(work.postgres, "storage_bare"))
        stack.enter_context(environment(OPSTEAM_DATABASE_URL=service))
        yield home, service, bare


Steps = list[tuple[str, Footprint]]  # (where the request stands, its footprint)
Blobs = list[tuple[int, int]]  # per step: artifact text bytes, other value bytes


def measure_service(work: Workload, kind: str, home: Path, where: str) -> tuple[Steps, Blobs]:
    """opsteam through the service: the footprint at every pause, then finished.

    The checkpoint rows, and apart the blobs beside them (the home holds this one thread).
    """
    team = work.team(home)
    [result] = team.submit([work.requests[PROD]])
    steps: Steps = []
    side: Blobs = []
    while result.pending:
        steps.append(
            (f"paused at {result.pending[0].id}", footprint(kind, where, result.thread_id))
        )
        side.append(split_blobs(team, result.thread_id, blobs(kind, where)))
        result = team.decide(result.thread_id, "approve", all_pending=True, by="bench")
    side.append(split_blobs(team, result.thread_id, blobs(kind, where)))
    return [*steps, ("finished", footprint(kind, where, result.thread_id))], side


def measure_bare(work: Workload, kind: str, where: str) -> Steps:
    """The bare graph on the same route: the footprint at every pause, then finished."""
    with saver(kind, where, opsteam=False) as bare_saver:
        bare = build_bare_graph(bare_saver)
        thread_id = new_thread()
        config: Any = {"configurable": {"thread_id": thread_id}}
        request, route = work.requests[PROD], work.routes[PROD]
        bare.invoke(bare_payload(request, route), config, durability="sync")
        steps: Steps = []
        while pending := bare.get_state(config).interrupts:
            kind_of = pending[0].value["checkpoint"]
            steps.append((f"paused at {kind_of}", footprint(kind, where, thread_id)))
            resume: Command[Any] = Command(resume={i.id: answer() for i in pending})
            bare.invoke(resume, config, durability="sync")
    return [*steps, ("finished", footprint(kind, where, thread_id))]


def storage(work: Workload) -> Section:
    section = Section(
        "Checkpoint footprint of one production request, at each pause and finished",
        "the bare graph of the same shape, same request and route, same checkpointer",
    )
    for kind in ("sqlite", "postgres"):
        if kind == "postgres" and work.postgres is None:
            continue
        with places(work, kind) as (home, service_at, bare_at):
            ops, side = measure_service(work, kind, home, service_at)
            base = measure_bare(work, kind, bare_at)
        if [step for step, _ in ops] != [step for step, _ in base]:
            raise SystemExit(f"bench: the bare graph paused elsewhere: {ops} vs {base}")
        paused = []
        for (step, (o_rows, o_bytes)), (_, (b_rows, b_bytes)), (texts, values) in zip(
            ops, base, side, strict=True
        ):
            label = f"prod request {step}, {SAVER_NAMES[kind]}"
            state = o_bytes + values
            section.add(
                Row(f"{label}: rows' bytes", size(o_bytes), size(b_bytes), ratio(o_bytes, b_bytes))
            )
            section.add(
                Row(
                    f"{label}: rows + state values by hash",
                    size(state),
                    size(b_bytes),
                    ratio(state, b_bytes),
                )
            )
            section.add(
                Row(
                    f"{label}: all, with artifact texts",
                    size(state + texts),
                    size(b_bytes),
                    ratio(state + texts, b_bytes),
                )
            )
            section.add(Row(f"{label}: rows", str(o_rows), str(b_rows), ratio(o_rows, b_rows)))
            if step != "finished":
                paused.append(state)
        section.figures[f"paused-bytes:{kind}"] = max(paused)
    section.notes.append(
        "rows' bytes: the stored payloads of the thread's rows: checkpoint and metadata, "
        "channel blobs (PostgreSQL) and pending writes; rows count all three tables. opsteam "
        "keeps artifacts and values over 1 KB by hash in a blob table beside them "
        "(docs/architecture.md): 'rows + state values by hash' adds the non-artifact blobs "
        "(what the checkpoint is, without the files; the 64 KB target is judged on it), 'all, "
        "with artifact texts' adds the artifact texts too. Blobs are counted once each, as "
        "stored. The request pauses at each checkpoint in turn (every one approved)."
    )
    return section
