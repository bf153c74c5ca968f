"""What ``opsteam show`` needs of a request at rest, kept in its listing row.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

One nullable column (zlib-compressed JSON: a production request's view shrinks from about
20 KB to a few): an existing store upgrades in place, and its rows (written before the
view existed) are shown from the checkpoints until their request is settled again.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("requests", sa.Column("view", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("view")
