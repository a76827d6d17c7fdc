"""Prompt filters and IP timeouts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa

from horde.queue.store import driver, tables
from horde.queue.store.connection import Connection


async def filters(conn: Connection, filter_type: int | None = None) -> list[tables.AnyRow]:
    query = sa.select(tables.prompt_filters).order_by(tables.prompt_filters.c.id)
    if filter_type is not None:
        query = query.where(tables.prompt_filters.c.filter_type == filter_type)
    return list((await conn.execute(query)).all())


async def filter_by_id(conn: Connection, filter_id: int) -> tables.AnyRow | None:
    return (
        await conn.execute(sa.select(tables.prompt_filters).where(tables.prompt_filters.c.id == filter_id))
    ).one_or_none()


async def add_filter(conn: Connection, values: dict[str, Any]) -> int:
    return int(
        (
            await conn.execute(tables.prompt_filters.insert().values(**values).returning(tables.prompt_filters.c.id))
        ).scalar_one()
    )


async def update_filter(conn: Connection, filter_id: int, values: dict[str, Any]) -> None:
    await conn.execute(tables.prompt_filters.update().where(tables.prompt_filters.c.id == filter_id).values(**values))


async def delete_filter(conn: Connection, filter_id: int) -> None:
    await conn.execute(tables.prompt_filters.delete().where(tables.prompt_filters.c.id == filter_id))


class TimeoutRow(NamedTuple):
    """An IP timeout."""

    ip: str
    expires_at: dt.datetime
    reason: str | None
    created_by: int | None
    created_at: dt.datetime


_TIMEOUT = driver.RowReader(TimeoutRow, tables.ip_timeouts)
_TIMEOUTS_OF = driver.KeysSql(f"SELECT {_TIMEOUT.columns} FROM ip_timeouts WHERE ip {{keys}}")


async def timeout_for(conn: Connection, networks: Sequence[str], now: dt.datetime) -> TimeoutRow | None:
    """The longest timeout running now on any of ``networks`` (an address and the CIDR blocks that hold it: a
    few dozen primary-key lookups, whatever the number of blocks; every new request asks, a hot path)."""
    raw = await driver.raw(conn)
    found = [_TIMEOUT.one(row) for row in await raw.fetch_keys(_TIMEOUTS_OF, list(networks))]
    live = [row for row in found if row is not None and row.expires_at > now]
    return max(live, key=lambda row: row.expires_at, default=None)


async def set_timeout(conn: Connection, values: dict[str, Any]) -> None:
    await conn.execute(tables.ip_timeouts.delete().where(tables.ip_timeouts.c.ip == values["ip"]))
    await conn.execute(tables.ip_timeouts.insert().values(**values))


async def delete_timeout(conn: Connection, ip: str) -> int:
    return int((await conn.execute(tables.ip_timeouts.delete().where(tables.ip_timeouts.c.ip == ip))).rowcount)


async def timeouts(conn: Connection, now: dt.datetime) -> list[tables.AnyRow]:
    return list(
        (
            await conn.execute(
                sa.select(tables.ip_timeouts)
                .where(tables.ip_timeouts.c.expires_at > now)
                .order_by(tables.ip_timeouts.c.expires_at)
            )
        ).all()
    )
