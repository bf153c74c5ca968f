"""The core API every way in uses: submit, decide, status.

It owns the graph's lifetime (checkpointer per call, so any process can resume any thread),
and turns snapshots into :class:`RunResult` objects. No formatting happens here.
"""

from __future__ import annotations

import getpass
import hashlib
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
from langgraph.types import Command
from pydantic import ValidationError

from opsteam.application.bundle import write_bundle, write_files
from opsteam.application.checkpoints import open_checkpointer
from opsteam.application.db import (
    open_store,
    record_approval,
    record_change,
    record_request,
)
from opsteam.application.listing import recent_threads
from opsteam.application.model import check_configured, open_advisor
from opsteam.application.progress import PROGRESS_LABELS, StepReporter
from opsteam.application.results import RequestSummary, RunResult, build_result
from opsteam.application.stacks import record_stack, run_inputs
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
from opsteam.domain.redaction import Redactor
from opsteam.domain.registry import Registry, RoleSlug, load_registry
from opsteam.domain.settings import Settings, data_home, load_settings
from opsteam.graphs.request import Verifier, build_request_graph
from opsteam.graphs.role import build_role_graph
from opsteam.graphs.state import RequestState
from opsteam.tools.diagrams import DiagramRenderer, default_renderer

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

Graph = CompiledStateGraph[Any, Any, Any, Any]

log = logging.getLogger("opsteam")
# How a finished request counts in the change history (redirects were never our change).
STEP_LABELS = PROGRESS_LABELS  # kept for callers of the old name
_OUTCOMES = {"completed": "succeeded", "failed": "failed", "rejected": "rejected"}
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
    """One team, one data home. Cheap to create; holds no open connections."""

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
    def _graph(self, thread_id: str | None = None, only: RoleSlug | None = None) -> Iterator[Graph]:
        """The graph compiled once per team, bound to a freshly opened checkpointer.

        For an existing thread, the graph it was started on (the team's, or one role's).
        """
        with open_checkpointer(self.home) as saver:
            if thread_id is not None:
                saved = saver.get_tuple(self._config(thread_id))
                only = saved.checkpoint["channel_values"].get("only") if saved else None
            yield self._compiled_for(only).copy(update={"checkpointer": saver})

    @contextmanager
    def _exclusive(self, thread_id: str) -> Iterator[None]:
        """One decision (or resume) per request at a time: a second process is told so."""
        from filelock import FileLock, Timeout

        locks = self.home / "locks"
        locks.mkdir(exist_ok=True)
        name = hashlib.sha256(thread_id.encode()).hexdigest()[:24]
        lock = FileLock(locks / f"{name}.lock", timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise ConflictError(
                f"request {thread_id} is being decided or resumed by another process; "
                f"check with: opsteam status {thread_id}"
            ) from None
        try:
            yield
        finally:
            lock.release()

    @staticmethod
    def _config(thread_id: str) -> RunnableConfig:
        return {"configurable": {"thread_id": thread_id}}

    def _run(self, graph: Graph, thread_id: str, payload: Any) -> RunResult:
        config = self._config(thread_id)
        error = None
        steps = StepReporter(self.registry, self.progress)
        try:
            for task in graph.stream(payload, config, stream_mode="tasks", durability="sync"):
                steps.task(task)
        except Exception as exc:  # a role failed: report it, keep the thread for inspection
            log.debug("run %s failed", thread_id, exc_info=True)
            error = f"{type(exc).__name__}: {exc}"
        return self._result(graph, thread_id, error)

    def _result(
        self,
        graph: Graph,
        thread_id: str,
        error: str | None = None,
    ) -> RunResult:
        snapshot = graph.get_state(self._config(thread_id))
        if not snapshot.values:
            raise NotFoundError(f"no request with thread id {thread_id!r}")
        state = RequestState.model_validate(snapshot.values)
        return build_result(
            thread_id, state, self.registry, snapshot.interrupts, error, tuple(snapshot.next)
        )

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
        results = []
        with self._graph(only=only) as graph:
            for index, request in enumerate(requests):
                thread_id = thread_ids[index] if thread_ids is not None else new_thread_id()
                target = (
                    out / f"{index + 1:02d}-{request.service_name}"
                    if out and len(requests) > 1
                    else out
                )
                state = RequestState(
                    thread_id=thread_id,
                    request=request,
                    only=only,
                    bundle_dir=str(target.resolve()) if target else "",
                    started_on=self.clock().date(),
                    inputs=run_inputs(self.home, self.settings, self.clock()),
                    model_use={READING: reading} if reading and reading.calls else {},
                )
                result = self._run(graph, thread_id, state)
                result = self._maybe_write(graph, result, target)
                self._record(graph, result, [])
                results.append(result)
        return results

    def _record(
        self,
        graph: Graph,
        result: RunResult,
        decisions: Sequence[DecisionRecord],
        outcome: str | None = None,
    ) -> None:
        """History for KPIs and postmortems: approvals always, the change once it ended."""
        outcome = outcome or _OUTCOMES.get(result.status)
        with open_store(self.home) as store, store.session() as session:
            record_request(
                session,
                result.thread_id,
                self._request_of(graph, result.thread_id),
                status=result.status,
                summary=result.summary,
                pending=[{"id": p.id, "name": p.name} for p in result.pending],
                at=self.clock(),
            )
            for decision in decisions:
                record_approval(session, result.thread_id, decision)
            if outcome is None:
                return
            values = graph.get_state(self._config(result.thread_id)).values
            state = RequestState.model_validate(values)
            stack = state.built_stack() if outcome == "succeeded" else None
            if stack is not None:  # its range is taken from now on, its state readable
                record_stack(session, stack, self.clock())
            plan = state.automation
            record_change(
                session,
                result.thread_id,
                state.request,
                outcome,
                self.clock(),
                resources_as_code=plan.resources_as_code if plan else None,
                resources_total=plan.resources_total if plan else None,
                bundle_path=result.bundle,
            )

    def _request_of(self, graph: Graph, thread_id: str) -> ChangeRequest:
        values = graph.get_state(self._config(thread_id)).values
        return RequestState.model_validate(values).request

    def _maybe_write(self, graph: Graph, result: RunResult, out: Path | None) -> RunResult:
        # Only a run that reached its report gets a bundle: a crashed one writes nothing.
        finished = result.status in ("completed", "failed") and result.error is None
        if not finished or not result.artifacts:
            return result
        state = RequestState.model_validate(graph.get_state(self._config(result.thread_id)).values)
        # A bundle asked for at submit is written when a later approval finishes the run.
        out = out or (Path(state.bundle_dir) if state.bundle_dir else None)
        if out is None:
            return result
        path = write_bundle(
            out,
            state.all_artifacts(),
            state.all_validations(),
            self.registry,
            state.request.request,
        )
        return result.model_copy(update={"bundle": str(path)})

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
        who = decision_input(by, reason)
        with self._exclusive(thread_id), self._graph(thread_id) as graph:
            snapshot = graph.get_state(self._config(thread_id))
            if not snapshot.values:
                raise NotFoundError(f"no request with thread id {thread_id!r}")
            pending = {i.value["checkpoint"]: i for i in snapshot.interrupts}
            targets = self._targets(thread_id, pending, checkpoint, all_pending, snapshot)
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
            result = self._run(graph, thread_id, Command(resume=resume))
            result = self._maybe_write(graph, result, out)
            recorded = [
                d
                for d in result.decisions
                if d.at.isoformat() == answer["at"] and d.checkpoint in targets
            ]
            self._record(graph, result, recorded)
            return result

    def _targets(
        self,
        thread_id: str,
        pending: dict[str, Any],
        checkpoint: str | None,
        all_pending: bool,
        snapshot: Any,
    ) -> list[str]:
        if not pending:
            state = RequestState.model_validate(snapshot.values)
            if snapshot.next:
                raise ConflictError(
                    f"request {thread_id} is not waiting for a decision: another process is "
                    f"applying one, or it stopped with an error (see: opsteam status {thread_id})"
                )
            raise ConflictError(
                f"request {thread_id} is not waiting for a decision (status: {state.status})"
            )
        if checkpoint is not None:
            if checkpoint not in pending:
                raise InputError(
                    f"checkpoint {checkpoint!r} is not pending; pending: "
                    f"{', '.join(sorted(pending))}"
                )
            return [checkpoint]
        if all_pending or len(pending) == 1:
            return sorted(pending)
        raise InputError(
            f"{len(pending)} checkpoints are pending ({', '.join(sorted(pending))});"
            " choose one with --checkpoint or decide them together with --all"
        )

    def resume(self, thread_id: str, out: Path | None = None) -> RunResult:
        """Retry a request that stopped with an error, from its last saved step."""
        with self._exclusive(thread_id), self._graph(thread_id) as graph:
            snapshot = graph.get_state(self._config(thread_id))
            if not snapshot.values:
                raise NotFoundError(f"no request with thread id {thread_id!r}")
            if snapshot.interrupts:
                raise ConflictError(
                    f"request {thread_id} is waiting for a decision; use opsteam approve"
                )
            if not snapshot.next:
                raise ConflictError(f"request {thread_id} has already finished")
            result = self._maybe_write(graph, self._run(graph, thread_id, None), out)
            self._record(graph, result, [])
            return result

    def record_outcome(self, thread_id: str, outcome: ChangeOutcome) -> RunResult:
        """How the change went when it was applied (e.g. rolled back), for the KPIs."""
        with self._graph(thread_id) as graph:
            result = self._result(graph, thread_id)
            if result.status in ("rejected", "redirected"):
                raise ConflictError(
                    f"request {thread_id} was {result.status}, so no change was made; "
                    "only a completed or failed change has an outcome"
                )
            if result.status not in ("completed", "failed") or result.error:
                raise ConflictError(
                    f"request {thread_id} has not finished (status: {result.status}); "
                    "only a finished change has an outcome"
                )
            self._record(graph, result, [], outcome=outcome)
            return result

    def state(self, thread_id: str) -> RequestState:
        """The full typed state (decisions of every role), for the Python API and tests."""
        with self._graph(thread_id) as graph:
            snapshot = graph.get_state(self._config(thread_id))
            if not snapshot.values:
                raise NotFoundError(f"no request with thread id {thread_id!r}")
            return RequestState.model_validate(snapshot.values)

    def status(self, thread_id: str) -> RunResult:
        with self._graph(thread_id) as graph:
            return self._result(graph, thread_id)

    def threads(self, limit: int = 50) -> list[RequestSummary]:
        """Most recently updated requests first, from the history store's index."""
        return recent_threads(self.home, limit)
