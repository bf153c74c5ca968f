"""Per-request latency: a dev request, and a prod request approved at every checkpoint.

For each checkpointer, three variants run in interleaved rounds: the bare graph, opsteam's
request graph alone (same driver loop), and opsteam through its service (history store,
locks, results), which is what the CLI and API pay.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

from bench.bare import build_bare_graph
from bench.report import Row, Section
from bench.stats import Timing, interleaved, ratio, spread
from bench.workload import (
    DEV,
    PROD,
    SAVER_NAMES,
    SAVERS,
    Workload,
    environment,
    postgres_schema,
    run_bare,
    run_graph,
    run_service,
    saver,
)
from opsteam.graphs.request import build_request_graph
from tests.fakes import ParseOnlyVerifier

REQUESTS = ((DEV, "dev request"), (PROD, "prod request approved at all checkpoints"))
Variants = dict[str, Callable[[], object]]


@contextmanager
def variants(work: Workload, kind: str, name: str) -> Iterator[Variants]:
    """The variants for one request on one kind of checkpointer, set up and torn down."""
    request, route = work.requests[name], work.routes[name]
    with ExitStack() as stack:
        where = {label: str(work.scratch / f"{label}-{kind}.sqlite") for label in ("bare", "ops")}
        if kind == "postgres":
            assert work.postgres is not None
            for label in ("bare", "ops", "service"):
                where[label] = stack.enter_context(postgres_schema(work.postgres, label))
        bare = build_bare_graph(stack.enter_context(saver(kind, where["bare"], opsteam=False)))
        graph = build_request_graph(
            work.registry,
            ParseOnlyVerifier(),
            checkpointer=stack.enter_context(saver(kind, where["ops"], opsteam=True)),
        )
        found: Variants = {
            "bare": lambda: run_bare(bare, request, route),
            "graph": lambda: run_graph(graph, request),
        }
        if kind in ("sqlite", "postgres"):
            if kind == "postgres":
                stack.enter_context(environment(OPSTEAM_DATABASE_URL=where["service"]))
            team = work.team(work.home(f"latency-{kind}"))
            found["service"] = lambda: run_service(team, request)
        yield found


def pauses(work: Workload, name: str) -> bool:
    route = work.routes[name]
    return bool(route["checkpoints"]) or route["gate"]


def latency(work: Workload, *, rounds: int, warmup: int) -> tuple[Section, dict[str, Timing]]:
    """One row per (request, checkpointer, opsteam variant); the timings kept by key."""
    section = Section(
        "Per-request latency (median, interquartile range)",
        "the bare graph of the same shape on the same checkpointer, driven by the same loop "
        "(run, read the state, resume every pending interrupt)",
    )
    kept: dict[str, Timing] = {}
    for name, label in REQUESTS:
        for kind in SAVERS:
            if kind == "postgres" and work.postgres is None:
                continue
            if kind == "none" and pauses(work, name):
                section.notes.append(f"{label}: no checkpointer cannot pause, so no row.")
                continue
            with variants(work, kind, name) as found:
                timings = interleaved(found, rounds=rounds, warmup=warmup)
            bare = timings["bare"]
            for variant, how in (("service", "through the service"), ("graph", "graph only")):
                if variant not in timings:
                    continue
                mine = timings[variant]
                kept[f"{name}/{kind}/{variant}"] = mine
                section.add(
                    Row(
                        f"{label}, {SAVER_NAMES[kind]}, {how}",
                        spread(mine),
                        spread(bare),
                        ratio(mine.median, bare.median),
                        f"n={len(mine.samples)}",
                    ),
                    f"latency:{'dev' if name == DEV else 'prod'}:{kind}"
                    if variant == "service"
                    else "",
                )
    section.notes += [
        "opsteam runs its real roles with the in-memory parse-only verifier (tests/fakes.py); "
        "the real validators are measured in their own section.",
        "'through the service' is `Opsteam.submit` + `Opsteam.decide` (what the CLI and API "
        "call): it also writes the history store (the checkpointer is opened once per "
        "process).",
        "All variants use durability='sync', as the service does.",
    ]
    return section, kept
