"""Workers count the jobs they dropped within the last hour (throttled, then paused: issue 14, defect 9).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import horde.queue.store.tables

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("drops_recent", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("drops_since", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.drop_column("drops_since")
        batch_op.drop_column("drops_recent")
