"""What the Mastodon bot keeps: its place in each instance's notifications, and the mentions it took on (one row
each: the key that keeps a mention from being answered twice, and each account's recent requests)."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import sqlalchemy as sa

from horde.queue.store import locks, tables
from horde.queue.store.connection import Connection

CURSORS = tables.mastodon_cursors
MENTIONS = tables.mastodon_mentions


class MentionRow(NamedTuple):
    status_id: str
    instance: str
    account: str
    request_id: str | None
    answered: bool
    created_at: dt.datetime


async def cursor(conn: Connection, instance: str) -> str | None:
    return await conn.scalar(sa.select(CURSORS.c.last_notification_id).where(CURSORS.c.instance == instance))  # type: ignore[no-any-return]


async def save_cursor(conn: Connection, instance: str, notification_id: str, now: dt.datetime) -> None:
    await conn.execute(CURSORS.delete().where(CURSORS.c.instance == instance))
    await conn.execute(CURSORS.insert().values(instance=instance, last_notification_id=notification_id, updated_at=now))


async def insert_mention(conn: Connection, status_id: str, instance: str, account: str, now: dt.datetime) -> None:
    """Raises ``AlreadyExistsError`` (through ``Database.write``) when the mention was taken on before."""
    await conn.execute(
        MENTIONS.insert().values(
            status_id=status_id, instance=instance, account=account, answered=False, created_at=now
        )
    )


async def set_request(conn: Connection, status_id: str, request_id: str | None) -> None:
    await conn.execute(MENTIONS.update().where(MENTIONS.c.status_id == status_id).values(request_id=request_id))


async def mark_answered(conn: Connection, status_id: str) -> None:
    await conn.execute(MENTIONS.update().where(MENTIONS.c.status_id == status_id).values(answered=True))


async def unanswered(conn: Connection, instance: str) -> list[MentionRow]:
    query = (
        sa.select(MENTIONS)
        .where(MENTIONS.c.instance == instance, MENTIONS.c.answered.is_(False))
        .order_by(MENTIONS.c.created_at)
    )
    return [MentionRow(*row) for row in await conn.execute(query)]


async def lock_account(conn: Connection, account: str) -> None:
    """Serialise one account's rate-limit check and its new request (PostgreSQL; SQLite's one writer does so)."""
    await locks.hold(conn, f"mastodon:{account}")


async def last_request_at(conn: Connection, account: str, *, besides: str) -> dt.datetime | None:
    """When the account last had a request made (a mention that became a request), mention ``besides`` aside."""
    query = sa.select(sa.func.max(MENTIONS.c.created_at)).where(
        MENTIONS.c.account == account, MENTIONS.c.request_id.is_not(None), MENTIONS.c.status_id != besides
    )
    value: object = await conn.scalar(query)
    if isinstance(value, str):  # SQLite's MAX() loses the column type
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value if isinstance(value, dt.datetime) else None
