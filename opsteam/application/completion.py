"""Finishing a run, idempotently: the bundle, then the history rows, from the saved state.

Everything here is derived from the thread's checkpointed state, so it can be done again by
any process: a run killed while its bundle was written or before its history was recorded is
completed by the next command that touches it, with the same bundle bytes (the bundle is a
pure function of the state) and one row each (every history write is an upsert, all of them in
one transaction). The request's listing row, written last in that transaction, is the marker:
when it already shows the state's outcome, the run is settled and nothing is redone. It also
carries, written with its status, the view ``show`` reads of a request at rest
(:mod:`opsteam.application.saved`); a run that starts clears it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from opsteam.application import faults
from opsteam.application.bundle import write_bundle
from opsteam.application.claims import ClaimStore
from opsteam.application.db import (
    clear_view,
    open_store,
    record_approval,
    record_change,
    record_request,
)
from opsteam.application.results import RunResult
from opsteam.application.saved import saved_view
from opsteam.application.stacks import record_stack
from opsteam.application.tables import ApprovalRow, ChangeRow, RequestRow
from opsteam.domain.models import DecisionRecord
from opsteam.domain.redaction import Redactor
from opsteam.domain.registry import Registry
from opsteam.domain.settings import Settings, checkpoint_url, database_url
from opsteam.graphs.state import RequestState

# How a finished request counts in the change history (redirects were never our change).
OUTCOMES = {"completed": "succeeded", "failed": "failed", "rejected": "rejected"}


def finished(result: RunResult) -> bool:
    """Reached its report (not stopped by an error), so it has a bundle to write."""
    return result.status in ("completed", "failed") and result.error is None


def at_rest(result: RunResult, next_nodes: Sequence[str]) -> bool:
    """Paused at a checkpoint or ended: nothing more runs until someone acts."""
    return bool(result.pending) or not next_nodes


@dataclass
class Completion:
    """Brings a thread's bundle and history in line with its saved state."""

    home: Path
    registry: Registry
    clock: Callable[[], datetime]
    settings: Settings

    @property
    def _store_url(self) -> str:
        return database_url(self.home, self.settings)

    def bundle_target(self, state: RequestState, out: Path | None) -> Path | None:
        """``out`` now, else the one asked for at submit, else one a decider asked for."""
        if out is not None:
            return out
        if state.bundle_dir:
            return Path(state.bundle_dir)
        asked = ClaimStore(checkpoint_url(self.home, self.settings)).bundle_dir(state.thread_id)
        return Path(asked) if asked else None

    def write(self, state: RequestState, result: RunResult, out: Path | None) -> RunResult:
        """The bundle of a finished run, if one was asked for (again: same bytes)."""
        if not finished(result) or not result.artifacts:
            return result
        target = self.bundle_target(state, out)
        if target is None:
            return result
        path = write_bundle(
            target,
            state.all_artifacts(),
            state.all_validations(),
            self.registry,
            state.request.request,
        )
        faults.kill_point("bundle-written")
        return result.model_copy(update={"bundle": str(path)})

    def started(self, state: RequestState) -> None:
        """A listing row before the first step, so a run killed early can be found."""
        state = self._public(state)
        with open_store(url=self._store_url) as store:
            record_request(
                store,
                state.thread_id,
                state.request,
                status="running",
                summary="The team is working on it.",
                pending=[],
                at=self.clock(),
            )

    def _public(self, state: RequestState) -> RequestState:
        """What history keeps: the person's words with roster IDs named, like every way out."""
        redactor = Redactor.for_registry(self.registry)
        request = state.request.model_copy(
            update={
                "request": redactor.text(state.request.request),
                "description": redactor.text(state.request.description),
            }
        )
        decisions = [
            DecisionRecord.model_validate(redactor.value(d.model_dump(mode="json")))
            for d in state.decisions
        ]
        return state.model_copy(update={"request": request, "decisions": decisions})

    def record(self, state: RequestState, result: RunResult, outcome: str | None = None) -> None:
        """History for KPIs and postmortems in one transaction: all or nothing, upserts only."""
        outcome = outcome or OUTCOMES.get(result.status)
        now = self.clock()
        state = self._public(state)
        with open_store(url=self._store_url) as store, store.session() as session:
            for decision in state.decisions:
                record_approval(session, result.thread_id, decision)
            if outcome is not None:
                stack = state.built_stack() if outcome == "succeeded" else None
                if stack is not None:  # its range is taken from now on, its state readable
                    record_stack(session, stack, now)
                plan = state.automation
                kept = session.get(ChangeRow, result.thread_id)
                bundle = result.bundle or (kept.bundle_path if kept is not None else None)
                record_change(
                    session,
                    result.thread_id,
                    state.request,
                    outcome,
                    now,
                    resources_as_code=plan.resources_as_code if plan else None,
                    resources_total=plan.resources_total if plan else None,
                    bundle_path=bundle,
                )
            record_request(  # last: the marker that this state is settled
                session,
                result.thread_id,
                state.request,
                status=result.status,
                summary=result.summary,
                pending=[{"id": p.id, "name": p.name} for p in result.pending],
                at=now,
                view=saved_view(state, result, self.registry),  # with its status, atomically
            )
            session.flush()
            faults.kill_point("history-write")
        faults.kill_point("history-written")

    def running(self, thread_id: str) -> None:
        """A run starts on a request: ``show`` reads its checkpoints until it settles again,
        so a run cut short is never shown as the rest it left."""
        with open_store(url=self._store_url) as store:
            clear_view(store, thread_id)

    def settle(self, state: RequestState, result: RunResult, out: Path | None = None) -> RunResult:
        """Write the bundle (if finished and asked for), then the history rows."""
        result = self.write(state, result, out)
        self.record(state, result)
        return result

    def settled(self, state: RequestState, result: RunResult, *, viewed: bool = False) -> bool:
        """Does the history already show this state (listing row, approvals, change row; with
        ``viewed``, the saved view ``show`` reads too)?"""
        with open_store(url=self._store_url) as store, store.session() as session:
            row = session.get(RequestRow, result.thread_id)
            if row is None or row.status != result.status:
                return False
            if viewed and row.view is None:
                return False
            if [p["id"] for p in row.pending] != [p.id for p in result.pending]:
                return False
            approvals = session.scalar(
                select(func.count())
                .select_from(ApprovalRow)
                .where(ApprovalRow.thread_id == result.thread_id)
            )
            if approvals != len({(d.checkpoint, d.round) for d in state.decisions}):
                return False
            needs_change = OUTCOMES.get(result.status) is not None
            return not needs_change or session.get(ChangeRow, result.thread_id) is not None
