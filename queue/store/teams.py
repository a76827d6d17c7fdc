"""Teams of workers."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

import sqlalchemy as sa

from horde.queue.store import rows, tables
from horde.queue.store.connection import Connection


class TeamRow(NamedTuple):
    """A whole ``teams`` row."""

    id: str
    name: str
    owner_id: int
    info: str | None
    created_at: dt.datetime


def _one(row: tables.AnyRow | None) -> TeamRow | None:
    return None if row is None else TeamRow._make(row)


async def by_id(conn: Connection, team_id: str) -> TeamRow | None:
    return _one((await conn.execute(sa.select(tables.teams).where(tables.teams.c.id == team_id))).one_or_none())


async def by_name(conn: Connection, name: str) -> TeamRow | None:
    return _one((await conn.execute(sa.select(tables.teams).where(tables.teams.c.name == name))).one_or_none())


async def listing(conn: Connection) -> list[TeamRow]:
    return [TeamRow._make(row) for row in await conn.execute(sa.select(tables.teams).order_by(tables.teams.c.name))]


async def insert(conn: Connection, values: dict[str, Any]) -> None:
    await conn.execute(tables.teams.insert().values(**values))


async def update(conn: Connection, team_id: str, **values: Any) -> None:
    await conn.execute(tables.teams.update().where(tables.teams.c.id == team_id).values(**values))


async def delete(conn: Connection, team_id: str) -> None:
    await conn.execute(tables.workers.update().where(tables.workers.c.team_id == team_id).values(team_id=None))
    await conn.execute(tables.teams.delete().where(tables.teams.c.id == team_id))


async def workers_of(conn: Connection, team_ids: list[str]) -> dict[str, list[rows.WorkerRow]]:
    if not team_ids:
        return {}
    found = await conn.execute(
        sa.select(tables.workers).where(tables.workers.c.team_id.in_(team_ids)).order_by(tables.workers.c.name)
    )
    result: dict[str, list[rows.WorkerRow]] = {}
    for worker in map(rows.WorkerRow._make, found):
        result.setdefault(worker.team_id or "", []).append(worker)
    return result
