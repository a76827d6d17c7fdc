"""What the moderation panel reads and writes beyond users, filters and IPs: modes, news, messages to workers'
owners, suspicion, the jobs a worker holds, the live queue, and what a user did (requests, IPs)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from horde.queue.store import rows, tables
from horde.queue.store.connection import Connection

Row = tables.AnyRow

# --- modes and news -----------------------------------------------------------------------------------------------


async def modes(conn: Connection) -> dict[str, Any]:
    return {row.name: row.value for row in await conn.execute(sa.select(tables.horde_modes))}


async def set_mode(conn: Connection, name: str, value: Any, *, by: int | None, now: dt.datetime) -> None:
    modes_t = tables.horde_modes
    await conn.execute(modes_t.delete().where(modes_t.c.name == name))
    await conn.execute(modes_t.insert().values(name=name, value=value, updated_by=by, updated_at=now))


async def news(conn: Connection, limit: int = 20) -> list[Row]:
    query = sa.select(tables.news_items).order_by(tables.news_items.c.id.desc()).limit(limit)
    return list((await conn.execute(query)).all())


async def add_news(conn: Connection, values: dict[str, Any]) -> int:
    result = await conn.execute(tables.news_items.insert().values(**values).returning(tables.news_items.c.id))
    return int(result.scalar_one())


async def delete_news(conn: Connection, news_id: int) -> int:
    result = await conn.execute(tables.news_items.delete().where(tables.news_items.c.id == news_id))
    return int(result.rowcount)


# --- messages to workers' owners ----------------------------------------------------------------------------------


async def add_message(conn: Connection, values: dict[str, Any]) -> int:
    msgs = tables.worker_messages
    return int((await conn.execute(msgs.insert().values(**values).returning(msgs.c.id))).scalar_one())


async def messages(
    conn: Connection,
    *,
    worker_id: str | None = None,
    owner_id: int | None = None,
    active_at: dt.datetime | None = None,
    expired_at: dt.datetime | None = None,
    limit: int = 50,
) -> list[Row]:
    msgs = tables.worker_messages
    query = sa.select(msgs).order_by(msgs.c.id.desc()).limit(limit)
    if worker_id is not None:
        query = query.where(msgs.c.worker_id == worker_id)
    if owner_id is not None:
        query = query.where(msgs.c.owner_id == owner_id)
    if active_at is not None:
        query = query.where(msgs.c.expires_at > active_at)
    if expired_at is not None:
        query = query.where(msgs.c.expires_at <= expired_at)
    return list((await conn.execute(query)).all())


async def message_by_id(conn: Connection, message_id: int) -> Row | None:
    msgs = tables.worker_messages
    return (await conn.execute(sa.select(msgs).where(msgs.c.id == message_id))).one_or_none()


async def delete_message(conn: Connection, message_id: int) -> int:
    msgs = tables.worker_messages
    return int((await conn.execute(msgs.delete().where(msgs.c.id == message_id))).rowcount)


# --- suspicion ----------------------------------------------------------------------------------------------------


async def add_suspicion(
    conn: Connection, *, user_id: int, worker_id: str | None, reason: str, detail: str | None, now: dt.datetime
) -> None:
    await conn.execute(
        tables.suspicions.insert().values(
            user_id=user_id, worker_id=worker_id, reason=reason, detail=(detail or "")[:200] or None, created_at=now
        )
    )


async def suspicions(conn: Connection, *, user_id: int | None = None, worker_id: str | None = None) -> list[Row]:
    sus = tables.suspicions
    query = sa.select(sus).order_by(sus.c.id.desc()).limit(200)
    if user_id is not None:
        query = query.where(sus.c.user_id == user_id)
    if worker_id is not None:
        query = query.where(sus.c.worker_id == worker_id)
    return list((await conn.execute(query)).all())


async def suspicions_for_reason(conn: Connection, reason: str, since: dt.datetime, limit: int = 50) -> list[Row]:
    """The latest suspicions of one reason since a time, newest first."""
    sus = tables.suspicions
    query = sa.select(sus).where(sus.c.reason == reason, sus.c.created_at >= since)
    return list((await conn.execute(query.order_by(sus.c.id.desc()).limit(limit))).all())


async def suspicion_counts(conn: Connection, *, by: str) -> dict[Any, int]:
    """Suspicion per user (``by="user_id"``) or per worker (``by="worker_id"``)."""
    column = tables.suspicions.c[by]
    query = sa.select(column, sa.func.count()).where(column.is_not(None)).group_by(column)
    return {key: int(count) for key, count in await conn.execute(query)}


async def clear_suspicion(conn: Connection, user_id: int) -> int:
    """Forget a user's suspicion, their workers' included."""
    sus = tables.suspicions
    return int((await conn.execute(sus.delete().where(sus.c.user_id == user_id))).rowcount)


# --- jobs, the queue, what a user did ------------------------------------------------------------------------------


async def held_jobs(conn: Connection, worker_id: str) -> list[Row]:
    jobs = tables.jobs
    query = sa.select(jobs.c.id, jobs.c.request_id).where(jobs.c.worker_id == worker_id, jobs.c.state == "processing")
    return list((await conn.execute(query)).all())


def _requests_query() -> sa.Select[Any]:
    req, users = tables.generation_requests, tables.users
    return sa.select(
        req.c.id,
        req.c.kind,
        req.c.user_id,
        users.c.username,
        req.c.prompt,
        req.c.models,
        req.c.n,
        req.c.state,
        req.c.priority,
        req.c.ip,
        req.c.created_at,
    ).select_from(req.join(users, users.c.id == req.c.user_id))


async def waiting(conn: Connection, *, limit: int = 200) -> list[Row]:
    """Waiting requests, highest priority first, with their requester and how many of their jobs are queued."""
    req, jobs = tables.generation_requests, tables.jobs
    queued = (
        sa.select(sa.func.count())
        .where(jobs.c.request_id == req.c.id, jobs.c.state == "queued")
        .scalar_subquery()
        .label("queued")
    )
    query = _requests_query().add_columns(queued).where(req.c.state == "waiting")
    return list((await conn.execute(query.order_by(req.c.rank.desc(), req.c.created_at).limit(limit))).all())


async def requests_of(conn: Connection, user_id: int, limit: int = 20) -> list[Row]:
    req = tables.generation_requests
    query = _requests_query().add_columns(sa.literal(0).label("queued")).where(req.c.user_id == user_id)
    return list((await conn.execute(query.order_by(req.c.created_at.desc()).limit(limit))).all())


async def ips_of(conn: Connection, user_id: int) -> list[str]:
    """The addresses a user asked from or ran workers on."""
    req, workers = tables.generation_requests, tables.workers
    asked = sa.select(req.c.ip).where(req.c.user_id == user_id, req.c.ip.is_not(None)).distinct()
    served = sa.select(workers.c.ip).where(workers.c.owner_id == user_id, workers.c.ip.is_not(None)).distinct()
    found = {ip for (ip,) in await conn.execute(asked)} | {ip for (ip,) in await conn.execute(served)}
    return sorted(found)


async def users_named_like(conn: Connection, text: str, limit: int = 25) -> list[rows.UserRow]:
    users = tables.users
    query = sa.select(users).where(users.c.username.contains(text, autoescape=True)).order_by(users.c.id).limit(limit)
    return [rows.UserRow._make(row) for row in await conn.execute(query)]
