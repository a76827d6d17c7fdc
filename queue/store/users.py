"""Users and their API keys."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from horde.queue.store import driver, locks, rows, tables
from horde.queue.store.connection import Connection

Row = tables.AnyRow


async def insert(
    conn: Connection,
    *,
    username: str,
    kind: str,
    roles: Iterable[str] = (),
    api_key_hash: str | None,
    concurrency: int,
    now: dt.datetime,
    external_id: str | None = None,
    user_id: int | None = None,
) -> int:
    values: dict[str, Any] = {
        "username": username,
        "kind": kind,
        "api_key_hash": api_key_hash,
        "external_id": external_id,
        "concurrency": concurrency,
        "kudos_milli": 0,
        "flagged": False,
        "suspended": False,
        "created_at": now,
        "last_active_at": now,
    }
    values |= dict.fromkeys(roles, True)
    if user_id is not None:
        values["id"] = user_id
    result = await conn.execute(tables.users.insert().values(**values).returning(tables.users.c.id))
    return int(result.scalar_one())


ROW = rows.USER
_BY_ID = driver.Sql(f"SELECT {ROW.columns} FROM users WHERE id = $1")
_BY_KEY_HASH = driver.Sql(f"SELECT {ROW.columns} FROM users WHERE api_key_hash = $1")


async def by_id(conn: Connection, user_id: int) -> rows.UserRow | None:
    return ROW.one(await (await driver.raw(conn)).fetchrow(_BY_ID, user_id))


_LOCK_BY_ID = driver.Sql(
    f"SELECT {ROW.columns} FROM users WHERE id = $1 FOR UPDATE", sqlite=f"SELECT {ROW.columns} FROM users WHERE id = $1"
)


async def lock(conn: Connection, user_id: int) -> rows.UserRow | None:
    """The user's row, locked until the transaction ends, for a check of the balance or of the jobs in flight that
    is followed by a write: two such transactions then run one after the other (PostgreSQL; SQLite's one writer
    does so already). Lock several users in id order (``lock_all``) so two transactions cannot deadlock."""
    return ROW.one(await (await driver.raw(conn)).fetchrow(_LOCK_BY_ID, user_id))


async def lock_all(conn: Connection, user_ids: list[int]) -> dict[int, rows.UserRow]:
    locked = {}
    for user_id in sorted(set(user_ids)):
        row = await lock(conn, user_id)
        if row is not None:
            locked[user_id] = row
    return locked


async def lock_anonymous_ip(conn: Connection, ip: str) -> None:
    """Anonymous requests share one user row; their concurrency is per address, so they wait for each other per
    address only, not on that row (PostgreSQL)."""
    await locks.hold(conn, f"anonymous-ip:{ip}")


async def by_key_hash(conn: Connection, key_hash: str) -> rows.UserRow | None:
    """The user holding an API key (every authenticated API call asks: a hot path)."""
    return ROW.one(await (await driver.raw(conn)).fetchrow(_BY_KEY_HASH, key_hash))


async def by_external_id(conn: Connection, external_id: str) -> rows.UserRow | None:
    query = sa.select(tables.users).where(tables.users.c.external_id == external_id)
    row = (await conn.execute(query)).one_or_none()
    return None if row is None else rows.UserRow._make(row)


async def by_username(conn: Connection, username: str) -> rows.UserRow | None:
    query = sa.select(tables.users).where(tables.users.c.username == username).order_by(tables.users.c.id).limit(1)
    row = (await conn.execute(query)).one_or_none()
    return None if row is None else rows.UserRow._make(row)


async def update(conn: Connection, user_id: int, **values: Any) -> None:
    await conn.execute(tables.users.update().where(tables.users.c.id == user_id).values(**values))


async def listing(conn: Connection, *, offset: int = 0, limit: int = 25, sort: str = "kudos") -> list[rows.UserRow]:
    order = tables.users.c.kudos_milli.desc() if sort == "kudos" else tables.users.c.id.asc()
    query = sa.select(tables.users).order_by(order, tables.users.c.id).offset(offset).limit(limit)
    return [rows.UserRow._make(row) for row in await conn.execute(query)]
