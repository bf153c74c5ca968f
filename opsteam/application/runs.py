"""Runs in the background for a server: submit and decide return a thread id at once.

Each run's progress, and its result or error, is kept as a numbered event log per request
thread, so any number of listeners (server-sent events) can replay it and follow it live.
Bad input is refused before a run is queued: a queued run only fails if a role fails.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from opsteam.application import access
from opsteam.application.request_views import RequestDetail, detail, with_preview
from opsteam.application.results import RunResult
from opsteam.application.service import Opsteam, decision_input, new_thread_id
from opsteam.domain.errors import ConflictError, InputError, OpsteamError
from opsteam.domain.model_use import ModelUse
from opsteam.domain.models import ChangeRequest, Verdict
from opsteam.domain.registry import Registry
from opsteam.graphs.request import Verifier

EventKind = Literal["accepted", "progress", "result", "error"]
KEPT_LOGS = 500
Finished = Callable[[str, str], None]  # (kind of run, final status)


@dataclass(frozen=True)
class Event:
    seq: int
    kind: EventKind
    data: dict[str, Any]


@dataclass
class RunLog:
    """One request's events in this process; ``done`` once its latest run ended."""

    events: list[Event] = field(default_factory=list)
    done: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: EventKind, data: dict[str, Any], *, last: bool = False) -> None:
        with self.lock:
            self.events.append(Event(len(self.events) + 1, kind, data))
            self.done = last or (self.done and kind != "accepted")

    def since(self, seq: int) -> tuple[list[Event], bool]:
        with self.lock:
            return [e for e in self.events if e.seq > seq], self.done


@dataclass(frozen=True)
class DecisionAsk:
    verdict: Verdict
    checkpoint: str | None = None
    all_pending: bool = False
    reason: str = ""


def check_decision(result: RunResult, ask: DecisionAsk) -> None:
    """Refuse a decision that cannot apply now, in the words a person can act on."""
    if ask.verdict in ("reject", "changes") and not ask.reason.strip():
        what = "a reason" if ask.verdict == "reject" else "what should change (reason)"
        raise InputError(f"a {ask.verdict} decision needs {what}")
    if ask.checkpoint is not None and ask.all_pending:
        raise InputError("choose one of checkpoint and all")
    pending = [p.id for p in result.pending]
    if not pending:
        raise ConflictError(
            f"request {result.thread_id} is not waiting for a decision (status: {result.status})"
        )
    if ask.checkpoint is not None and ask.checkpoint not in pending:
        raise InputError(
            f"checkpoint {ask.checkpoint!r} is not pending; pending: {', '.join(pending)}"
        )
    if ask.checkpoint is None and not ask.all_pending and len(pending) > 1:
        raise InputError(
            f"{len(pending)} checkpoints are pending ({', '.join(pending)}); "
            "name one in checkpoint, or set all"
        )


class RunHub:
    """Background runs of one team (one data home), with their event logs."""

    def __init__(
        self,
        home: Path,
        registry: Registry,
        verifier: Verifier | None = None,
        *,
        workers: int = 2,
        finished: Finished | None = None,
    ) -> None:
        self.home, self.registry, self.verifier = home, registry, verifier
        self.finished = finished
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="opsteam-run")
        self._logs: OrderedDict[str, RunLog] = OrderedDict()
        self._running: set[str] = set()
        self._lock = threading.Lock()

    def team(self, progress: Callable[[str], None] | None = None) -> Opsteam:
        return Opsteam(self.home, self.registry, self.verifier, progress=progress)

    def running(self) -> int:
        with self._lock:
            return len(self._running)

    def detail(self, thread_id: str) -> RequestDetail:
        """The request now; while this server runs it, it says so (not "stopped before...")."""
        found = detail(self.team(), thread_id)
        with self._lock:
            running = thread_id in self._running
        if not running:
            return found
        result = found.result.model_copy(
            update={
                "status": "running",
                "error": None,
                "pending": [],
                "summary": "The team is working on it; follow its events.",
            }
        )
        return found.model_copy(update={"result": result, "preview": None})

    def log(self, thread_id: str) -> RunLog | None:
        with self._lock:
            return self._logs.get(thread_id)

    def submit(
        self,
        request: ChangeRequest,
        owner: str,
        channel: str,
        reading: ModelUse | None = None,
    ) -> tuple[str, Future[Any]]:
        """Queue a checked request; its thread id is known (and owned) before it runs
        (``reading``: what a chat model's reading of its words cost, counted with it)."""
        thread_id = new_thread_id()
        access.record_owner(self.home, thread_id, owner, channel)

        def run(team: Opsteam) -> RunResult:
            return team.submit([request], thread_ids=[thread_id], reading=reading)[0]

        return thread_id, self._start(thread_id, "submit", run)

    def decide(self, thread_id: str, ask: DecisionAsk, by: str) -> Future[Any]:
        """Check the decision against the request now, then apply it in the background."""
        who = decision_input(by, ask.reason)
        check_decision(self.team().status(thread_id), ask)

        def run(team: Opsteam) -> RunResult:
            return team.decide(
                thread_id,
                ask.verdict,
                checkpoint=ask.checkpoint,
                all_pending=ask.all_pending,
                reason=who.reason,
                by=who.by,
            )

        return self._start(thread_id, "decide", run)

    def _start(self, thread_id: str, kind: str, run: Callable[[Opsteam], RunResult]) -> Future[Any]:
        with self._lock:
            if thread_id in self._running:
                raise ConflictError(f"request {thread_id} is running; follow its events")
            self._running.add(thread_id)
            log = self._logs.pop(thread_id, None) or RunLog()
            self._logs[thread_id] = log
            while len(self._logs) > KEPT_LOGS:
                self._logs.popitem(last=False)
        log.add("accepted", {"thread_id": thread_id, "run": kind})
        return self._pool.submit(self._execute, thread_id, kind, run, log)

    def _execute(
        self, thread_id: str, kind: str, run: Callable[[Opsteam], RunResult], log: RunLog
    ) -> dict[str, Any]:
        status = "error"
        try:
            team = self.team(lambda label: log.add("progress", {"label": label}))
            result = run(team)
            status = result.status
            data = with_preview(team, result).model_dump(mode="json")
            log.add("result", data, last=True)
            return data
        except OpsteamError as exc:
            log.add("error", {"errors": exc.lines()}, last=True)
            raise
        except Exception as exc:  # never lose the end of a run: listeners wait for it
            log.add("error", {"errors": [f"internal error: {type(exc).__name__}"]}, last=True)
            raise
        finally:
            with self._lock:
                self._running.discard(thread_id)
            if self.finished is not None:
                self.finished(kind, status)

    def close(self) -> None:
        """Let running requests reach their checkpoint or end, then stop the workers."""
        self._pool.shutdown(wait=True)
