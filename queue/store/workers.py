"""Registered workers: check-ins, stats, listings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from horde.queue.store import tables

W = tables.workers
Row = tables.AnyRow


_BY_NAME = sa.select(W).where(W.c.name == sa.bindparam("name"))
_BY_ID = sa.select(W).where(W.c.id == sa.bindparam("id"))


async def by_name(conn: AsyncConnection, name: str) -> Row | None:
    return (await conn.execute(_BY_NAME, {"name": name})).one_or_none()


async def by_id(conn: AsyncConnection, worker_id: str) -> Row | None:
    return (await conn.execute(_BY_ID, {"id": worker_id})).one_or_none()


async def insert(conn: AsyncConnection, values: dict[str, Any]) -> bool:
    """Register a worker; False when a concurrent first pop registered the same name first."""
    insert: Any = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(W)
    result = await conn.execute(insert.values(**values).on_conflict_do_nothing(index_elements=[W.c.name]))
    return bool(result.rowcount)


async def update(conn: AsyncConnection, worker_id: str, **values: Any) -> None:
    await conn.execute(W.update().where(W.c.id == worker_id).values(**values))


async def update_returning(conn: AsyncConnection, worker_id: str, **values: Any) -> Row:
    return (await conn.execute(W.update().where(W.c.id == worker_id).values(**values).returning(*W.c))).one()


async def count_for_owner(conn: AsyncConnection, owner_id: int) -> int:
    return int(await conn.scalar(sa.select(sa.func.count()).where(W.c.owner_id == owner_id)) or 0)


async def listing(
    conn: AsyncConnection,
    *,
    kind: str | None = None,
    owner_id: int | None = None,
    online_since: dt.datetime | None = None,
) -> list[Row]:
    query = sa.select(W).order_by(W.c.name)
    if kind:
        query = query.where(W.c.kind == kind)
    if owner_id is not None:
        query = query.where(W.c.owner_id == owner_id)
    if online_since is not None:
        query = query.where(W.c.last_check_in >= online_since)
    return list((await conn.execute(query)).all())


async def delete(conn: AsyncConnection, worker_id: str) -> None:
    await conn.execute(W.delete().where(W.c.id == worker_id))


async def names(conn: AsyncConnection, worker_ids: list[str]) -> dict[str, str]:
    if not worker_ids:
        return {}
    rows = await conn.execute(sa.select(W.c.id, W.c.name).where(W.c.id.in_(worker_ids)))
    return {row.id: row.name for row in rows}
