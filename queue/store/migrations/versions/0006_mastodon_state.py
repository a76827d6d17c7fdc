"""The Mastodon bot's state: its place in its notifications, and the mentions it took on.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import horde.queue.store.tables

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mastodon_cursors",
        sa.Column("instance", sa.String(length=255), nullable=False),
        sa.Column("last_notification_id", sa.String(length=64), nullable=False),
        sa.Column("updated_at", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("instance", name=op.f("pk_mastodon_cursors")),
    )
    op.create_table(
        "mastodon_mentions",
        sa.Column("status_id", sa.String(length=64), nullable=False),
        sa.Column("instance", sa.String(length=255), nullable=False),
        sa.Column("account", sa.String(length=255), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("created_at", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("status_id", name=op.f("pk_mastodon_mentions")),
    )
    with op.batch_alter_table("mastodon_mentions", schema=None) as batch_op:
        batch_op.create_index("ix_mastodon_mentions_account_created_at", ["account", "created_at"], unique=False)
        batch_op.create_index("ix_mastodon_mentions_answered", ["answered"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mastodon_mentions", schema=None) as batch_op:
        batch_op.drop_index("ix_mastodon_mentions_answered")
        batch_op.drop_index("ix_mastodon_mentions_account_created_at")
    op.drop_table("mastodon_mentions")
    op.drop_table("mastodon_cursors")
