"""Registered workers: check-ins, stats, listings."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from horde.queue.store import driver, rows, tables
from horde.queue.store.connection import Connection

Row = tables.AnyRow
ROW = rows.WORKER

_BY_NAME = driver.Sql(f"SELECT {ROW.columns} FROM workers WHERE name = $1")
_BY_ID = driver.Sql(f"SELECT {ROW.columns} FROM workers WHERE id = $1")
_BY_NAMES = driver.KeysSql(f"SELECT {rows.POPPER.columns} FROM workers WHERE name {{keys}}")
_CHECK_IN = driver.Sql(
    "UPDATE workers SET models = $2, max_pixels = $3, capabilities = $4, nsfw = $5, threads = $6, bridge_agent = $7,"
    " ip = $8, last_check_in = $9, uptime_seconds = $10, uptime_unpaid_seconds = $11,"
    " kudos_earned_milli = kudos_earned_milli + $12 WHERE id = $1"
)
_COUNT_DONE = driver.Sql(
    "UPDATE workers SET jobs_done = jobs_done + 1, kudos_earned_milli = kudos_earned_milli + $2,"
    " things_done = things_done + $3, seconds_busy = seconds_busy + $4 WHERE id = $1"
)


async def by_name(conn: Connection, name: str) -> rows.WorkerRow | None:
    return ROW.one(await (await driver.raw(conn)).fetchrow(_BY_NAME, name))


async def by_names(conn: Connection, names: Sequence[str]) -> dict[str, rows.Popper]:
    """The workers of these names that exist, by name, as a pop reads them (``rows.POPPER``; one statement)."""
    found = await (await driver.raw(conn)).fetch_keys(_BY_NAMES, sorted(set(names)))
    return {worker.name: worker for worker in map(rows.POPPER, found)}


async def by_id(conn: Connection, worker_id: str) -> rows.WorkerRow | None:
    return ROW.one(await (await driver.raw(conn)).fetchrow(_BY_ID, worker_id))


@dataclasses.dataclass(frozen=True)
class CheckIn:
    """What a popping worker says about itself, and what its pop earned."""

    worker_id: str
    models: list[str]
    max_pixels: int
    capabilities: dict[str, Any]
    nsfw: bool
    threads: int
    bridge_agent: str | None
    ip: str | None
    now: dt.datetime
    uptime_seconds: float
    uptime_unpaid_seconds: float
    earned_milli: int


async def check_in_all(conn: Connection, check_ins: Sequence[CheckIn]) -> None:
    """Record the check-ins of several workers (one ``executemany``, in id order so that concurrent batches lock
    the rows in the same order)."""
    raw = await driver.raw(conn)
    rows = [
        (
            c.worker_id,
            driver.to_json(c.models),
            c.max_pixels,
            driver.to_json(c.capabilities),
            c.nsfw,
            c.threads,
            c.bridge_agent,
            c.ip,
            raw.time(c.now),
            c.uptime_seconds,
            c.uptime_unpaid_seconds,
            c.earned_milli,
        )
        for c in sorted(check_ins, key=lambda c: c.worker_id)
    ]
    await raw.executemany(_CHECK_IN, rows)


@dataclasses.dataclass(frozen=True)
class Done:
    """A finished job, as its worker's counters see it."""

    worker_id: str
    earned_milli: int
    things: float
    busy: float


async def count_done_all(conn: Connection, done: Sequence[Done]) -> None:
    """Jobs finished: their workers' counters move (relative updates, safe beside concurrent check-ins; in id
    order)."""
    rows = [(d.worker_id, d.earned_milli, float(d.things), float(d.busy)) for d in done]
    await (await driver.raw(conn)).executemany(_COUNT_DONE, sorted(rows))


async def insert(conn: Connection, values: dict[str, Any]) -> bool:
    """Register a worker; False when a concurrent first pop registered the same name first."""
    insert: Any = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(tables.workers)
    result = await conn.execute(insert.values(**values).on_conflict_do_nothing(index_elements=[tables.workers.c.name]))
    return bool(result.rowcount)


async def update(conn: Connection, worker_id: str, **values: Any) -> None:
    await conn.execute(tables.workers.update().where(tables.workers.c.id == worker_id).values(**values))


async def count_for_owner(conn: Connection, owner_id: int) -> int:
    return int(await conn.scalar(sa.select(sa.func.count()).where(tables.workers.c.owner_id == owner_id)) or 0)


async def listing(
    conn: Connection,
    *,
    kind: str | None = None,
    owner_id: int | None = None,
    online_since: dt.datetime | None = None,
) -> list[rows.WorkerRow]:
    query = sa.select(tables.workers).order_by(tables.workers.c.name)
    if kind:
        query = query.where(tables.workers.c.kind == kind)
    if owner_id is not None:
        query = query.where(tables.workers.c.owner_id == owner_id)
    if online_since is not None:
        query = query.where(tables.workers.c.last_check_in >= online_since)
    return [rows.WorkerRow._make(row) for row in await conn.execute(query)]


async def delete(conn: Connection, worker_id: str) -> None:
    await conn.execute(tables.workers.delete().where(tables.workers.c.id == worker_id))


_NAMES = driver.KeysSql("SELECT id, name FROM workers WHERE id {keys}")


async def names(conn: Connection, worker_ids: list[str]) -> dict[str, str]:
    """Worker names by id (a status poll with finished jobs asks: a hot path)."""
    rows = await (await driver.raw(conn)).fetch_keys(_NAMES, sorted(set(worker_ids)))
    return {row[0]: row[1] for row in rows}
