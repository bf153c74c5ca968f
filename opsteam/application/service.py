"""The core API every way in uses: submit, decide, status.

It owns the graph's lifetime (one checkpointer per process and home; every step is committed,
so any process can resume any thread), and turns snapshots into :class:`RunResult` objects.
No formatting happens here.
"""

from __future__ import annotations

import getpass
import logging
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command, StateSnapshot
from pydantic import ValidationError

from opsteam.application import deciding, faults
from opsteam.application.bundle import check_target, write_files
from opsteam.application.checkpoints import open_checkpointer
from opsteam.application.claims import ClaimStore
from opsteam.application.completion import Completion, at_rest, finished
from opsteam.application.listing import recent_threads
from opsteam.application.locks import LockBusy, thread_lock
from opsteam.application.model import check_configured, open_advisor
from opsteam.application.progress import PROGRESS_LABELS, StepReporter
from opsteam.application.results import RequestSummary, RunResult, build_result
from opsteam.application.saved import bundle, saved_result, show_saved
from opsteam.application.stacks import run_inputs
from opsteam.domain.errors import (
    ConflictError,
    InputError,
    NotFoundError,
    describe_validation_error,
)
from opsteam.domain.model_use import READING, ModelUse
from opsteam.domain.models import (
    Artifact,
    ChangeRequest,
    DecisionInput,
    DecisionRecord,
    ValidationResult,
    Verdict,
)
from opsteam.domain.naming import named_for_artifacts
from opsteam.domain.redaction import Redactor
from opsteam.domain.registry import Registry, RoleSlug, load_registry
from opsteam.domain.settings import Settings, checkpoint_url, data_home, load_settings
from opsteam.graphs.extra import refuse_unplayable
from opsteam.graphs.request import Verifier, build_request_graph
from opsteam.graphs.role import build_role_graph
from opsteam.graphs.state import RequestState, input_of
from opsteam.tools.diagrams import DiagramRenderer, default_renderer

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

Graph = CompiledStateGraph[Any, Any, Any, Any]

log = logging.getLogger("opsteam")
STEP_LABELS = PROGRESS_LABELS  # kept for callers of the old name
Clock = Callable[[], datetime]
ChangeOutcome = Literal["succeeded", "failed", "rolled-back"]


def real_verifier(artifacts: Sequence[Artifact]) -> list[ValidationResult]:
    """Write the artifacts to a scratch directory and run the real validators on them."""
    from opsteam.tools.validators import validate_bundle

    with tempfile.TemporaryDirectory(prefix="opsteam-verify-") as scratch:
        write_files(Path(scratch), artifacts, Redactor({}))
        return validate_bundle(Path(scratch), artifacts)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def new_thread_id() -> str:
    """A request's thread id; callers that must name it before the run starts ask here."""
    return f"chg-{uuid.uuid4().hex[:12]}"


def current_user() -> str:
    """$OPSTEAM_USER, else the login name; a process without one still gets a name."""
    try:
        return load_settings().user or getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def decision_input(by: str | None, reason: str) -> DecisionInput:
    """Who and why, checked (no control characters, bounded length) before anything resumes."""
    try:
        return DecisionInput(by=by if by is not None else current_user(), reason=reason)
    except ValidationError as exc:
        problems = describe_validation_error(exc, prefix="decision ")
        raise InputError(problems[0], problems) from None


class Opsteam:
    """One team, one data home. Cheap to create; connections are the process's, shared."""

    def __init__(
        self,
        home: str | Path | None = None,
        registry: Registry | None = None,
        verifier: Verifier | None = None,
        clock: Clock = _utcnow,
        progress: Callable[[str], None] | None = None,
        settings: Settings | None = None,
        renderer: DiagramRenderer | None = None,
        model: BaseChatModel | None = None,
    ) -> None:
        self.settings = settings or load_settings()
        if model is None:
            check_configured(self.settings)  # one line naming what to install or set
        self.model = model
        self.home = data_home(home, self.settings)
        self.renderer = renderer if renderer is not None else default_renderer(self.settings)
        self.progress = progress
        self.registry = registry or load_registry()
        self.verifier = verifier or real_verifier
        self.clock = clock
        self._compiled: dict[RoleSlug | None, Graph] = {}

    def _compiled_for(self, only: RoleSlug | None) -> Graph:
        """The team's graph, or one role's own: each compiled once per team, when first used."""
        if only not in self._compiled:
            advisor = open_advisor(self.settings, self.registry, self.model, self.clock().date())
            self._compiled[only] = (
                build_role_graph(
                    self.registry, self.verifier, only, renderer=self.renderer, advisor=advisor
                )
                if only
                else build_request_graph(
                    self.registry, self.verifier, renderer=self.renderer, advisor=advisor
                )
            )
        return self._compiled[only]

    @contextmanager
    def _graph(self, only: RoleSlug | None = None) -> Iterator[Graph]:
        """The graph compiled once per team (or one role's), bound to the process's
        checkpointer."""
        with open_checkpointer(self.home, self.settings) as saver:
            yield self._compiled_for(only).copy(update={"checkpointer": saver})

    @contextmanager
    def _thread(self, thread_id: str) -> Iterator[tuple[Graph, StateSnapshot]]:
        """An existing thread's graph (the team's, or the one role's it was started on) and
        its saved state, read once: through the team's graph, again only for a role's own."""
        with open_checkpointer(self.home, self.settings) as saver:
            graph = self._compiled_for(None).copy(update={"checkpointer": saver})
            snapshot = graph.get_state(self._config(thread_id))
            only = snapshot.values.get("only") if snapshot.values else None
            if only:
                graph = self._compiled_for(only).copy(update={"checkpointer": saver})
                snapshot = graph.get_state(self._config(thread_id))
            if not snapshot.values:
                raise NotFoundError(f"no request with thread id {thread_id!r}")
            yield graph, snapshot

    @contextmanager
    def _exclusive(self, thread_id: str) -> Iterator[None]:
        """One process works on a request at a time, whatever its home or host: the lock is
        taken in (or next to) the database holding the checkpoints; a second one is told so."""
        try:
            with thread_lock(checkpoint_url(self.home, self.settings), thread_id):
                yield
        except LockBusy:
            raise ConflictError(
                f"request {thread_id} is being decided or resumed by another process; "
                f"check with: opsteam status {thread_id}"
            ) from None

    @property
    def completion(self) -> Completion:
        return Completion(self.home, self.registry, self.clock, self.settings)

    @staticmethod
    def _config(thread_id: str) -> RunnableConfig:
        return {"configurable": {"thread_id": thread_id}}

    def _run(self, graph: Graph, thread_id: str, payload: Any) -> tuple[RequestState, RunResult]:
        config = self._config(thread_id)
        error = None
        steps = StepReporter(self.registry, self.progress)
        try:
            for task in graph.stream(payload, config, stream_mode="tasks", durability="sync"):
                faults.task_started(task)
                steps.task(task)
        except Exception as exc:  # a role failed: report it, keep the thread for inspection
            log.debug("run %s failed", thread_id, exc_info=True)
            error = f"{type(exc).__name__}: {exc}"
        state, result, _ = self._snapshot(graph, thread_id, error)
        return state, result

    def _snapshot(
        self,
        graph: Graph,
        thread_id: str,
        error: str | None = None,
        snapshot: StateSnapshot | None = None,
    ) -> tuple[RequestState, RunResult, tuple[str, ...]]:
        """The saved state (read now unless given), what a caller is told about it, and the
        nodes still to run."""
        if snapshot is None:
            snapshot = graph.get_state(self._config(thread_id))
        if not snapshot.values:
            raise NotFoundError(f"no request with thread id {thread_id!r}")
        state = RequestState.model_validate(snapshot.values)
        next_nodes = tuple(snapshot.next)
        result = build_result(
            thread_id, state, self.registry, snapshot.interrupts, error, next_nodes
        )
        return state, result, next_nodes

    def _result(self, graph: Graph, thread_id: str, error: str | None = None) -> RunResult:
        return self._snapshot(graph, thread_id, error)[1]

    def submit(
        self,
        requests: Sequence[ChangeRequest],
        out: Path | None = None,
        *,
        only: RoleSlug | None = None,
        thread_ids: Sequence[str] | None = None,
        reading: ModelUse | None = None,
    ) -> list[RunResult]:
        """Run each request through the whole team, or one role alone (``only``), to its first
        checkpoint or its end (thread ids from ``thread_ids`` when the caller chose them;
        ``reading``: what the model's reading of plain words cost, counted with the request)."""
        if thread_ids is not None and len(thread_ids) != len(requests):
            raise ValueError("one thread id per request")
        redactor = Redactor.for_registry(self.registry)
        # All, before any runs; stored as every way out shows them (roster IDs named).
        requests = [redactor.named_model(named_for_artifacts(r, redactor)) for r in requests]
        targets = [
            out / f"{index + 1:02d}-{request.service_name}" if out and len(requests) > 1 else out
            for index, request in enumerate(requests)
        ]
        for target in targets:  # before any work: nothing runs or is stored on a bad target
            if target is not None:
                check_target(target)
        if only is None:  # a role added as data needs a playbook or a model: refused up front
            refuse_unplayable(
                requests, self.registry, self.model is not None or bool(self.settings.model)
            )
        results = []
        with self._graph(only=only) as graph:
            for index, request in enumerate(requests):
                thread_id = thread_ids[index] if thread_ids is not None else new_thread_id()
                target = targets[index]
                state = RequestState(
                    thread_id=thread_id,
                    request=request,
                    only=only,
                    bundle_dir=str(target.resolve()) if target else "",
                    started_on=self.clock().date(),
                    inputs=run_inputs(self.home, self.settings, self.clock()),
                    model_use={READING: reading} if reading and reading.calls else {},
                )
                with self._exclusive(thread_id):
                    self.completion.started(state)
                    state, result = self._run(graph, thread_id, input_of(state))
                    result = self.completion.settle(state, result, target)
                results.append(_later(result, state, target))
        return results

    def decide(
        self,
        thread_id: str,
        verdict: Verdict,
        *,
        checkpoint: str | None = None,
        all_pending: bool = False,
        reason: str = "",
        by: str | None = None,
        out: Path | None = None,
    ) -> RunResult:
        if verdict in ("reject", "changes") and not reason.strip():
            what = "--reason" if verdict == "reject" else "feedback text"
            raise InputError(f"a {verdict} decision needs {what}")
        if checkpoint is not None and all_pending:
            raise InputError("choose one of --checkpoint and --all")
        who = Redactor.for_registry(self.registry).named_model(decision_input(by, reason))
        if out is not None:
            check_target(out)
        with self._thread(thread_id) as (graph, snapshot):
            pending = {i.value["checkpoint"]: i for i in snapshot.interrupts}
            targets = deciding.targets(thread_id, pending, checkpoint, all_pending, snapshot)
            answer = {
                "verdict": verdict,
                "by": who.by,
                "at": self.clock().isoformat(),
                "reason": who.reason,
            }
            DecisionRecord.model_validate({**answer, "checkpoint": targets[0], "round": 1})
            resume: dict[str, Any] = {pending[k].id: answer for k in targets}
            if verdict != "approve":  # the others are moot once the design is going back
                resume.update(
                    {i.id: {"cancelled": True} for k, i in pending.items() if k not in targets}
                )
            claims = deciding.claims_for(pending, resume, answer, out)
            # The claim row picks the one decider; the lock keeps one process running it.
            with deciding.claimed(self._claims(), thread_id, claims), self._exclusive(thread_id):
                faults.kill_point("decision-claimed")
                now = graph.get_state(self._config(thread_id))
                deciding.check_still_pending(thread_id, now.interrupts, claims)
                self.completion.running(thread_id)
                state, result = self._run(graph, thread_id, Command(resume=resume))
                result = self.completion.settle(state, result, out)
            return _later(result, state, out)

    def _claims(self) -> ClaimStore:
        return ClaimStore(checkpoint_url(self.home, self.settings))

    def resume(self, thread_id: str, out: Path | None = None) -> RunResult:
        """Retry a request that stopped (an error, a killed process), from its last saved
        step; a finished one whose bundle or history a crash cut short is completed."""
        if out is not None:
            check_target(out)
        with self._exclusive(thread_id), self._thread(thread_id) as (graph, snapshot):
            payload = deciding.recovered(self._claims(), thread_id, snapshot.interrupts)
            if snapshot.interrupts and payload is None:
                raise ConflictError(
                    f"request {thread_id} is waiting for a decision; use opsteam approve"
                )
            if not snapshot.next:
                state, result, _ = self._snapshot(graph, thread_id, snapshot=snapshot)
                if out is None and self.completion.settled(state, result):
                    raise ConflictError(f"request {thread_id} has already finished")
                return self.completion.settle(state, result, out)
            self.completion.running(thread_id)
            state, result = self._run(graph, thread_id, payload)
            return self.completion.settle(state, result, out)

    def _settle_if_needed(
        self, graph: Graph, thread_id: str, snapshot: StateSnapshot
    ) -> tuple[RequestState, RunResult]:
        """The next command touching a run that a crash left unrecorded completes it (one
        recorded before ``show`` read a saved view gets its view)."""
        state, result, next_nodes = self._snapshot(graph, thread_id, snapshot=snapshot)
        if not at_rest(result, next_nodes) or self.completion.settled(state, result, viewed=True):
            return state, result
        try:
            with self._exclusive(thread_id):  # the history is written under it: never stale
                state, result, _ = self._snapshot(graph, thread_id)
                return state, self._settled(state, result)
        except ConflictError:  # another process is finishing it right now
            return state, result

    def _settled(self, state: RequestState, result: RunResult) -> RunResult:
        """Settle (the history only, if it already shows this state), under the thread's lock."""
        if self.completion.settled(state, result):
            self.completion.record(state, result)
            return result
        try:
            return self.completion.settle(state, result)
        except InputError as exc:  # its bundle folder is taken: keep the history right
            log.warning("request %s: bundle not written again: %s", state.thread_id, exc)
            self.completion.record(state, result)
            return result

    def record_outcome(self, thread_id: str, outcome: ChangeOutcome) -> RunResult:
        """How the change went when it was applied (e.g. rolled back), for the KPIs."""
        with self._thread(thread_id) as (graph, snapshot):
            state, result = self._settle_if_needed(graph, thread_id, snapshot)
            if result.status in ("rejected", "redirected"):
                raise ConflictError(
                    f"request {thread_id} was {result.status}, so no change was made; "
                    "only a completed or failed change has an outcome"
                )
            if not finished(result):
                raise ConflictError(
                    f"request {thread_id} has not finished (status: {result.status}); "
                    "only a finished change has an outcome"
                )
            self.completion.record(state, result, outcome)
            return result

    def show(self, thread_id: str, out: Path | None = None) -> tuple[RunResult, list[Artifact]]:
        """The current files of any request, paused or finished, from its saved state; with
        ``out``, written there as a bundle (the same bytes a finished run writes)."""
        if out is not None:
            check_target(out)
        saved = show_saved(self.home, self.settings, self.registry, thread_id, out)
        if saved is not None:  # at rest: its history row holds what to show
            return saved
        with self._thread(thread_id) as (graph, snapshot):
            state, result = self._settle_if_needed(graph, thread_id, snapshot)
            artifacts = state.all_artifacts()
            if out is None:
                return result, artifacts
            validations, title = state.all_validations(), state.request.request
            return bundle(result, artifacts, validations, title, self.registry, out), artifacts

    def state(self, thread_id: str) -> RequestState:
        """The full typed state (decisions of every role), for the Python API and tests."""
        with self._thread(thread_id) as (_, snapshot):
            state = RequestState.model_validate(snapshot.values)
        # A way out too: runs stored before their IDs were named on the way in are named here.
        return Redactor.for_registry(self.registry).named_model(state)

    def status(self, thread_id: str) -> RunResult:
        saved = saved_result(self.home, self.settings, self.registry, thread_id)
        if saved is not None:  # at rest: its history row holds what to show
            return saved
        with self._thread(thread_id) as (graph, snapshot):
            return self._settle_if_needed(graph, thread_id, snapshot)[1]

    def threads(self, limit: int = 50) -> list[RequestSummary]:
        """Most recently updated requests first, from the history store's index (redacted)."""
        redactor = Redactor.for_registry(self.registry)
        rows = recent_threads(self.home, limit)
        return [RequestSummary.model_validate(redactor.value(row)) for row in rows]


def _later(result: RunResult, state: RequestState, out: Path | None) -> RunResult:
    """A paused run with a bundle target says where its bundle will be written."""
    target = out or (Path(state.bundle_dir) if state.bundle_dir else None)
    if target is None or result.bundle is not None or result.status != "awaiting-approval":
        return result
    return result.model_copy(update={"bundle_target": str(target.resolve())})
