"""Applying a decision exactly once: claim it in the checkpoint database, then resume.

The claim (a unique row per interrupt, see :mod:`opsteam.application.claims`) picks the one
decider that wins; the others are told who decided and when. A claim that could not be
applied (the request was busy) is withdrawn; one whose process died is applied by
``opsteam resume`` with the very same answer.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from langgraph.types import Command

from opsteam.application.claims import AlreadyDecided, Claim, ClaimStore
from opsteam.domain.errors import ConflictError, InputError
from opsteam.domain.models import DecisionRecord
from opsteam.graphs.state import RequestState


def when(at: str) -> str:
    """A decision time as people read it (UTC, to the second)."""
    try:
        return datetime.fromisoformat(at).strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    except ValueError:
        return at


def already_decided(thread_id: str, claim: Claim) -> ConflictError:
    return ConflictError(
        f"request {thread_id}: {claim.checkpoint} was already decided by {claim.by} "
        f"at {when(claim.at)} (see: opsteam status {thread_id})"
    )


def raise_if_decided(thread_id: str, decisions: Sequence[DecisionRecord], checkpoint: str) -> None:
    """A checkpoint no longer pending because someone decided it: say who and when."""
    earlier = [d for d in decisions if d.checkpoint == checkpoint]
    if earlier:
        last = earlier[-1]
        raise ConflictError(
            f"request {thread_id}: {checkpoint} was already decided by {last.by} "
            f"at {when(last.at.isoformat())} (see: opsteam status {thread_id})"
        )


def claims_for(
    pending: Mapping[str, Any],
    resume: Mapping[str, Any],
    answer: Mapping[str, Any],
    out: Path | None,
) -> list[Claim]:
    """One claim per interrupt the decision resumes (cancelled ones included)."""
    names = {interrupt.id: checkpoint for checkpoint, interrupt in pending.items()}
    target = str(out.resolve()) if out is not None else None
    return [
        Claim(iid, names[iid], str(answer["by"]), str(answer["at"]), dict(value), target)
        for iid, value in resume.items()
    ]


@contextmanager
def claimed(store: ClaimStore, thread_id: str, claims: Sequence[Claim]) -> Iterator[None]:
    """Hold the claims for the block; withdrawn if the block refuses before applying them."""
    try:
        store.claim(thread_id, claims)
    except AlreadyDecided as exc:
        raise already_decided(thread_id, exc.claim) from None
    try:
        yield
    except ConflictError:
        store.release(thread_id, claims)
        raise


def check_still_pending(thread_id: str, interrupts: Sequence[Any], claims: Sequence[Claim]) -> None:
    """Under the request's lock: every claimed interrupt is still waiting for its answer."""
    waiting = {i.id for i in interrupts}
    if any(c.interrupt_id not in waiting for c in claims):
        raise ConflictError(
            f"request {thread_id} changed while deciding; check with: opsteam status {thread_id}"
        )


def recovered(store: ClaimStore, thread_id: str, interrupts: Sequence[Any]) -> Command[Any] | None:
    """The claimed answers of a decider that died before the run resumed, if any."""
    found = store.find(thread_id, [i.id for i in interrupts])
    if not found:
        return None
    return Command(resume={iid: claim.answer for iid, claim in found.items()})


def targets(
    thread_id: str,
    pending: dict[str, Any],
    checkpoint: str | None,
    all_pending: bool,
    snapshot: Any,
) -> list[str]:
    """The checkpoints a decision applies to, or why it cannot apply to any."""
    state = RequestState.model_validate(snapshot.values)
    if checkpoint is not None and checkpoint not in pending:
        raise_if_decided(thread_id, state.decisions, checkpoint)
    if not pending:
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
                f"checkpoint {checkpoint!r} is not pending; pending: {', '.join(sorted(pending))}"
            )
        return [checkpoint]
    if all_pending or len(pending) == 1:
        return sorted(pending)
    raise InputError(
        f"{len(pending)} checkpoints are pending ({', '.join(sorted(pending))});"
        " choose one with --checkpoint or decide them together with --all"
    )
