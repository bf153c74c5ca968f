"""Stacks opsteam built: where each one's Terraform state lives and the VPC range it took.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Read before every run, so a new VPC never overlaps one opsteam already allocated and a
Modify against an opsteam-built stack reads that stack's state instead of guessing.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stacks",
        sa.Column("thread_id", sa.String(100), nullable=False),
        sa.Column("prefix", sa.String(60), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("state_bucket", sa.String(63), nullable=False),
        sa.Column("state_key", sa.String(300), nullable=False),
        sa.Column("vpc_cidr", sa.String(18), nullable=True),
        sa.Column("outputs", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("thread_id", name=op.f("pk_stacks")),
    )
    op.create_index(op.f("ix_stacks_prefix"), "stacks", ["prefix"])


def downgrade() -> None:
    op.drop_index(op.f("ix_stacks_prefix"), table_name="stacks")
    op.drop_table("stacks")
