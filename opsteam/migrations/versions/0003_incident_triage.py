"""Incident triage: the stored assessment, the hand-off team, the component-level specialist.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

Columns are only added (nullable), so an existing history store upgrades in place; the
incident's component stays a non-null column and holds "" when the opener named none.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("incidents", sa.Column("handoff", sa.Text(), nullable=True))
    op.add_column("incidents", sa.Column("specialist", sa.String(40), nullable=True))
    op.add_column("incidents", sa.Column("triage", sa.JSON(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite >= 3.35, PostgreSQL): a batch copy would drop and recreate
    # the table, and with foreign keys on that deletes every incident's timeline.
    for column in ("triage", "specialist", "handoff"):
        op.drop_column("incidents", column)
