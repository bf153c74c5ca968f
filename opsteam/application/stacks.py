"""The stacks opsteam built, in the history store: read before a run, written when one ends.

Kept apart from :mod:`opsteam.application.db` (incidents, changes, approvals) because only
the request flow uses it: it is the memory behind the address plan (no two VPCs opsteam
allocated overlap) and behind Modify bundles that read the owning stack's state.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from ipaddress import IPv4Network
from pathlib import Path
from typing import TypeVar

from sqlalchemy import JSON, String, select
from sqlalchemy.orm import Mapped, mapped_column

from opsteam.application.db import StoreOrSession, _aware, _transaction, _upsert, open_store
from opsteam.application.tables import Base
from opsteam.domain.inputs import BuiltStack, RunInputs
from opsteam.domain.settings import Settings, database_url

T = TypeVar("T")


class StackRow(Base):
    __tablename__ = "stacks"

    thread_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(60), index=True)
    region: Mapped[str] = mapped_column(String(32))
    state_bucket: Mapped[str] = mapped_column(String(63))
    state_key: Mapped[str] = mapped_column(String(300))
    vpc_cidr: Mapped[str | None] = mapped_column(String(18))
    outputs: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime]


def record_stack(target: StoreOrSession, stack: BuiltStack, at: datetime) -> None:
    """Remember a finished stack (once per request thread: recording again refreshes it)."""
    values = {
        "prefix": stack.prefix,
        "region": stack.region,
        "state_bucket": stack.state_bucket,
        "state_key": stack.state_key,
        "vpc_cidr": str(stack.vpc_cidr) if stack.vpc_cidr else None,
        "outputs": list(stack.outputs),
    }
    first = {"created_at": _aware(at, "at")}
    with _transaction(target) as session:
        _upsert(session, StackRow, {"thread_id": stack.thread_id}, values, first)


_COLUMNS = (
    StackRow.thread_id,
    StackRow.prefix,
    StackRow.region,
    StackRow.state_bucket,
    StackRow.state_key,
    StackRow.vpc_cidr,
    StackRow.outputs,
)
Row = tuple[str, str, str, str, str, str | None, list[str]]


def _rows(target: StoreOrSession) -> list[Row]:
    """Every stack's row, oldest first, as plain tuples."""
    query = select(*_COLUMNS).order_by(StackRow.created_at, StackRow.thread_id)
    with _transaction(target) as session:
        rows = session.connection().execute(query).all()
    return [(t, p, r, b, k, c, o) for t, p, r, b, k, c, o in rows]


def _stack(row: Row) -> BuiltStack:
    thread_id, prefix, region, bucket, key, cidr, outputs = row
    return BuiltStack(
        thread_id=thread_id,
        prefix=prefix,
        region=region,
        state_bucket=bucket,
        state_key=key,
        vpc_cidr=IPv4Network(cidr) if cidr else None,
        outputs=list(outputs),
    )


def built_stacks(target: StoreOrSession) -> list[BuiltStack]:
    """Every stack opsteam built, oldest first (the newest of a prefix wins on lookup).

    Read as plain rows, not ORM objects: every request reads them all before it starts.
    """
    return [_stack(row) for row in _rows(target)]


def current_stacks(stacks: list[BuiltStack]) -> list[BuiltStack]:
    """One stack per Terraform state (bucket and key), the newest, oldest first.

    A New request built again for the same prefix applies to the same state, so it replaced
    the earlier build: that one's range and outputs are gone. A run carries these in its
    state (``RunInputs``), so its checkpoints stay the same size however many requests the
    history holds, instead of growing with every request that ever completed.
    """
    return _newest_per_state(stacks, lambda s: (s.state_bucket, s.state_key))


def current_built_stacks(target: StoreOrSession) -> list[BuiltStack]:
    """``current_stacks(built_stacks(target))``, with only the current rows made into stacks
    (every request reads them, and the history keeps every build)."""
    return [_stack(row) for row in _newest_per_state(_rows(target), lambda row: (row[3], row[4]))]


def _newest_per_state(items: list[T], state: Callable[[T], tuple[str, str]]) -> list[T]:
    """The newest of ``items`` (oldest first) per Terraform state (bucket, key)."""
    newest = {state(item): index for index, item in enumerate(items)}
    return [item for index, item in enumerate(items) if newest[state(item)] == index]


def run_inputs(home: Path, settings: Settings, now: datetime) -> RunInputs:
    """What a run needs from outside its request, read just before it starts."""
    with open_store(url=database_url(home, settings)) as store:
        stacks = current_built_stacks(store)
    return RunInputs(
        address_pool=list(settings.address_pool),
        stacks=stacks,
        runbook_base_url=settings.runbook_base_url,
        now=now,
    )
