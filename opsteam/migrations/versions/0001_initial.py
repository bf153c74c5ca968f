"""Initial history schema: incidents and their timeline, changes, approvals, cost samples.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("service", sa.String(40), nullable=False),
        sa.Column("component", sa.String(32), nullable=False),
        sa.Column("environment", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(2), nullable=False),
        sa.Column("severity_reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("impact", sa.Text(), nullable=False),
        sa.Column("current_action", sa.Text(), nullable=False),
        sa.Column("eta", _TIME, nullable=True),
        sa.Column("owner", sa.String(40), nullable=True),
        sa.Column("level", sa.String(40), nullable=False),
        sa.Column("awaiting_human", sa.Text(), nullable=True),
        sa.Column("detected_at", _TIME, nullable=False),
        sa.Column("resolved_at", _TIME, nullable=True),
        sa.Column("root_cause", sa.Text(), nullable=True),
        sa.Column("postmortem", sa.Text(), nullable=True),
        sa.Column("alert", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_incidents"),
    )
    op.create_index("ix_incidents_service", "incidents", ["service"])
    op.create_index("ix_incidents_status", "incidents", ["status"])
    op.create_table(
        "incident_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.String(16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("communication", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name="fk_incident_events_incident_id_incidents",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_incident_events"),
        sa.UniqueConstraint("incident_id", "seq", name="uq_incident_events_incident_id"),
    )
    op.create_table(
        "changes",
        sa.Column("thread_id", sa.String(100), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("service", sa.String(40), nullable=False),
        sa.Column("component", sa.String(32), nullable=False),
        sa.Column("environment", sa.String(16), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("finished_at", _TIME, nullable=False),
        sa.Column("resources_as_code", sa.Integer(), nullable=True),
        sa.Column("resources_total", sa.Integer(), nullable=True),
        sa.Column("bundle_path", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("thread_id", name="pk_changes"),
    )
    op.create_index("ix_changes_service", "changes", ["service"])
    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("thread_id", sa.String(100), nullable=False),
        sa.Column("checkpoint", sa.String(40), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_approvals"),
        sa.UniqueConstraint("thread_id", "checkpoint", "round", name="uq_approvals_thread_id"),
    )
    op.create_index("ix_approvals_thread_id", "approvals", ["thread_id"])
    op.create_table(
        "cost_samples",
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.PrimaryKeyConstraint("month", name="pk_cost_samples"),
    )


def downgrade() -> None:
    op.drop_table("cost_samples")
    op.drop_index("ix_approvals_thread_id", table_name="approvals")
    op.drop_table("approvals")
    op.drop_index("ix_changes_service", table_name="changes")
    op.drop_table("changes")
    op.drop_table("incident_events")
    op.drop_index("ix_incidents_status", table_name="incidents")
    op.drop_index("ix_incidents_service", table_name="incidents")
    op.drop_table("incidents")
