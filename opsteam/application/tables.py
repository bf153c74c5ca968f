"""The history store's tables (SQLAlchemy 2 typed ORM): incidents and their events, changes,
request listing rows, approvals and cost samples.

The schema itself is owned by the Alembic migrations in :mod:`opsteam.migrations`; these
classes map it. Kept apart from :mod:`opsteam.application.db` (engines, transactions, writes)
so each stays readable.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Stores UTC, always returns aware UTC datetimes (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused by the store")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JSON(),
    }


class IncidentRow(Base):
    __tablename__ = "incidents"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    service: Mapped[str] = mapped_column(String(40), index=True)
    component: Mapped[str] = mapped_column(String(32))
    environment: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(2))
    severity_reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    impact: Mapped[str] = mapped_column(Text)
    current_action: Mapped[str] = mapped_column(Text)
    eta: Mapped[datetime | None]
    owner: Mapped[str | None] = mapped_column(String(40))
    handoff: Mapped[str | None] = mapped_column(Text)
    specialist: Mapped[str | None] = mapped_column(String(40))
    triage: Mapped[dict[str, Any] | None]
    level: Mapped[str] = mapped_column(String(40))
    awaiting_human: Mapped[str | None] = mapped_column(Text)
    detected_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    root_cause: Mapped[str | None] = mapped_column(Text)
    postmortem: Mapped[str | None] = mapped_column(Text)
    alert: Mapped[dict[str, Any] | None]
    events: Mapped[list[IncidentEventRow]] = relationship(
        back_populates="incident", order_by="IncidentEventRow.seq", cascade="all, delete-orphan"
    )


class IncidentEventRow(Base):
    __tablename__ = "incident_events"
    __table_args__ = (UniqueConstraint("incident_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    seq: Mapped[int]
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    communication: Mapped[str | None] = mapped_column(Text)
    incident: Mapped[IncidentRow] = relationship(back_populates="events")


class ChangeRow(Base):
    __tablename__ = "changes"

    thread_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    service: Mapped[str] = mapped_column(String(40), index=True)
    component: Mapped[str] = mapped_column(String(32))
    environment: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    resources_as_code: Mapped[int | None]
    resources_total: Mapped[int | None]
    bundle_path: Mapped[str | None] = mapped_column(Text)


class RequestRow(Base):
    """One row per request thread: what listings show, kept current after every step."""

    __tablename__ = "requests"

    thread_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    service: Mapped[str] = mapped_column(String(40))
    environment: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24))
    summary: Mapped[str] = mapped_column(Text)
    pending: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(index=True)
    # What ``show`` needs of the request at rest (opsteam.application.saved, compressed JSON);
    # None while a run is under way or unsettled. Loaded only when asked for: never by listings.
    view: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)


class ApprovalRow(Base):
    __tablename__ = "approvals"
    __table_args__ = (UniqueConstraint("thread_id", "checkpoint", "round"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    thread_id: Mapped[str] = mapped_column(String(100), index=True)
    checkpoint: Mapped[str] = mapped_column(String(40))
    verdict: Mapped[str] = mapped_column(String(16))
    by: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text, default="")
    round: Mapped[int] = mapped_column(Integer, default=1)


class CostSampleRow(Base):
    __tablename__ = "cost_samples"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    amount: Mapped[float] = mapped_column(Numeric(14, 2, asdecimal=False))
