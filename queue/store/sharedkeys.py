"""Shared keys: API keys that spend from their owner's account, within limits."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

import sqlalchemy as sa

from horde.queue.store import tables
from horde.queue.store.connection import Connection


class SharedKeyRow(NamedTuple):
    """A whole ``shared_keys`` row."""

    id: str
    user_id: int
    name: str
    kudos_limit_milli: int
    utilized_milli: int
    max_image_pixels: int
    max_image_steps: int
    max_text_tokens: int
    expires_at: dt.datetime | None
    created_at: dt.datetime


def _one(row: tables.AnyRow | None) -> SharedKeyRow | None:
    return None if row is None else SharedKeyRow._make(row)


async def by_id(conn: Connection, key_id: str) -> SharedKeyRow | None:
    return _one(
        (await conn.execute(sa.select(tables.shared_keys).where(tables.shared_keys.c.id == key_id))).one_or_none()
    )


async def lock(conn: Connection, key_id: str) -> SharedKeyRow | None:
    """The key, locked until the transaction ends (PostgreSQL; SQLite's single writer needs no lock)."""
    return _one(
        (
            await conn.execute(sa.select(tables.shared_keys).where(tables.shared_keys.c.id == key_id).with_for_update())
        ).one_or_none()
    )


async def add_utilized(conn: Connection, key_id: str, amount_milli: int) -> None:
    await conn.execute(
        tables.shared_keys.update()
        .where(tables.shared_keys.c.id == key_id)
        .values(utilized_milli=tables.shared_keys.c.utilized_milli + amount_milli)
    )


async def for_user(conn: Connection, user_id: int) -> list[SharedKeyRow]:
    query = (
        sa.select(tables.shared_keys)
        .where(tables.shared_keys.c.user_id == user_id)
        .order_by(tables.shared_keys.c.created_at)
    )
    return [SharedKeyRow._make(row) for row in await conn.execute(query)]


async def count_for_user(conn: Connection, user_id: int) -> int:
    return int(await conn.scalar(sa.select(sa.func.count()).where(tables.shared_keys.c.user_id == user_id)) or 0)


async def insert(conn: Connection, values: dict[str, Any]) -> None:
    await conn.execute(tables.shared_keys.insert().values(**values))


async def update(conn: Connection, key_id: str, **values: Any) -> None:
    await conn.execute(tables.shared_keys.update().where(tables.shared_keys.c.id == key_id).values(**values))


async def delete(conn: Connection, key_id: str) -> None:
    await conn.execute(tables.shared_keys.delete().where(tables.shared_keys.c.id == key_id))


async def all_ids(conn: Connection) -> list[str]:
    return [row[0] for row in await conn.execute(sa.select(tables.shared_keys.c.id))]


async def rekey(conn: Connection, old_id: str, new_id: str) -> None:
    """Give a key a new id, in the requests made with it too."""
    await conn.execute(tables.shared_keys.update().where(tables.shared_keys.c.id == old_id).values(id=new_id))
    requests = tables.generation_requests
    await conn.execute(requests.update().where(requests.c.shared_key_id == old_id).values(shared_key_id=new_id))
