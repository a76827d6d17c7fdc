"""Aesthetic ratings of finished results."""

from __future__ import annotations

import sqlalchemy as sa

from horde.queue.store import tables
from horde.queue.store.connection import Connection


async def rated_job_ids(conn: Connection, job_ids: list[str]) -> set[str]:
    if not job_ids:
        return set()
    rows = await conn.execute(sa.select(tables.ratings.c.job_id).where(tables.ratings.c.job_id.in_(job_ids)))
    return {row[0] for row in rows}


async def insert(conn: Connection, values: list[dict[str, object]]) -> None:
    if values:
        await conn.execute(tables.ratings.insert(), values)
