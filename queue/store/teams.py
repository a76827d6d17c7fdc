"""Teams of workers."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from horde.queue.store import tables
from horde.queue.store.connection import Connection

T = tables.teams
W = tables.workers
Row = tables.AnyRow


async def by_id(conn: Connection, team_id: str) -> Row | None:
    return (await conn.execute(sa.select(T).where(T.c.id == team_id))).one_or_none()


async def by_name(conn: Connection, name: str) -> Row | None:
    return (await conn.execute(sa.select(T).where(T.c.name == name))).one_or_none()


async def listing(conn: Connection) -> list[Row]:
    return list((await conn.execute(sa.select(T).order_by(T.c.name))).all())


async def insert(conn: Connection, values: dict[str, Any]) -> None:
    await conn.execute(T.insert().values(**values))


async def update(conn: Connection, team_id: str, **values: Any) -> None:
    await conn.execute(T.update().where(T.c.id == team_id).values(**values))


async def delete(conn: Connection, team_id: str) -> None:
    await conn.execute(W.update().where(W.c.team_id == team_id).values(team_id=None))
    await conn.execute(T.delete().where(T.c.id == team_id))


async def workers_of(conn: Connection, team_ids: list[str]) -> dict[str, list[Row]]:
    if not team_ids:
        return {}
    rows = await conn.execute(sa.select(W).where(W.c.team_id.in_(team_ids)).order_by(W.c.name))
    result: dict[str, list[Row]] = {}
    for row in rows:
        result.setdefault(row.team_id, []).append(row)
    return result
