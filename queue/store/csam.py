"""Image results that workers' CSAM guards blocked, counted per requester and per address."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from horde.queue.store.alchemy_tables import csam_results
from horde.queue.store.connection import Connection
from horde.queue.store.tables import generation_requests


async def add(
    conn: Connection, *, user_id: int, ip: str | None, job_id: str, worker_id: str | None, now: dt.datetime
) -> None:
    await conn.execute(
        csam_results.insert().values(user_id=user_id, ip=ip, job_id=job_id, worker_id=worker_id, created_at=now)
    )


async def count_for_user(conn: Connection, user_id: int, since: dt.datetime) -> int:
    query = sa.select(sa.func.count()).where(csam_results.c.user_id == user_id, csam_results.c.created_at >= since)
    return int(await conn.scalar(query) or 0)


async def count_for_ip(conn: Connection, ip: str, since: dt.datetime) -> int:
    query = sa.select(sa.func.count()).where(csam_results.c.ip == ip, csam_results.c.created_at >= since)
    return int(await conn.scalar(query) or 0)


async def request_ip(conn: Connection, request_id: str) -> str | None:
    query = sa.select(generation_requests.c.ip).where(generation_requests.c.id == request_id)
    ip = await conn.scalar(query)
    return str(ip) if ip else None
