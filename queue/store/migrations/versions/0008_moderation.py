"""Moderation: the horde's modes (maintenance, invite-only, raid, banner), news, messages to workers' owners and
suspicion with its reasons.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import horde.queue.store.tables

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

Time = horde.queue.store.tables.UtcDateTime


def upgrade() -> None:
    op.create_table(
        "horde_modes",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", Time(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_horde_modes")),
    )
    op.create_table(
        "news_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("importance", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", Time(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_news_items")),
    )
    op.create_table(
        "worker_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=1000), nullable=False),
        sa.Column("origin", sa.String(length=100), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", Time(timezone=True), nullable=False),
        sa.Column("expires_at", Time(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker_messages")),
    )
    op.create_index(op.f("ix_worker_messages_worker_id"), "worker_messages", ["worker_id"])
    op.create_index(op.f("ix_worker_messages_owner_id"), "worker_messages", ["owner_id"])
    op.create_table(
        "suspicions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.Column("created_at", Time(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suspicions")),
    )
    op.create_index(op.f("ix_suspicions_user_id"), "suspicions", ["user_id"])
    op.create_index(op.f("ix_suspicions_worker_id"), "suspicions", ["worker_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_suspicions_worker_id"), table_name="suspicions")
    op.drop_index(op.f("ix_suspicions_user_id"), table_name="suspicions")
    op.drop_table("suspicions")
    op.drop_index(op.f("ix_worker_messages_owner_id"), table_name="worker_messages")
    op.drop_index(op.f("ix_worker_messages_worker_id"), table_name="worker_messages")
    op.drop_table("worker_messages")
    op.drop_table("news_items")
    op.drop_table("horde_modes")
