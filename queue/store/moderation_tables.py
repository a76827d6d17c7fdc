"""The moderation tables: the horde's modes, news, messages to workers' owners, suspicion (migration 0008).

They share ``tables.metadata``; ``tables`` imports this module at its end, so every table is known wherever the
schema is.
"""

from __future__ import annotations

import sqlalchemy as sa

from horde.queue.store.tables import BigId, Json, UtcDateTime, metadata


def _created() -> sa.Column[object]:
    return sa.Column("created_at", UtcDateTime(), nullable=False)


horde_modes = sa.Table(
    "horde_modes",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),  #: maintenance, invite_only, raid, banner
    sa.Column("value", Json, nullable=False),
    sa.Column("updated_by", sa.Integer, nullable=True),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

news_items = sa.Table(
    "news_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("importance", sa.String(16), nullable=False),
    sa.Column("created_by", sa.Integer, nullable=True),
    _created(),
)

worker_messages = sa.Table(
    "worker_messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("worker_id", sa.String(36), nullable=False, index=True),
    sa.Column("owner_id", sa.Integer, nullable=False, index=True),
    sa.Column("message", sa.String(1000), nullable=False),
    sa.Column("origin", sa.String(100), nullable=True),
    sa.Column("created_by", sa.Integer, nullable=True),
    _created(),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
)

suspicions = sa.Table(
    "suspicions",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, nullable=False, index=True),  #: the account, or the worker's owner
    sa.Column("worker_id", sa.String(36), nullable=True, index=True),
    sa.Column("reason", sa.String(64), nullable=False),
    sa.Column("detail", sa.String(200), nullable=True),
    _created(),
)
