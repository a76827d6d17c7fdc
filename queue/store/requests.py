"""Generation requests and the jobs they are split into."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from horde.queue.domain.jobs import FINAL_STATES, JobState, RequestState
from horde.queue.domain.roles import ANONYMOUS_USER_ID
from horde.queue.store import driver, rows, tables
from horde.queue.store.connection import Connection

Row = tables.AnyRow


async def insert(conn: Connection, values: dict[str, Any], job_rows: Sequence[dict[str, Any]]) -> None:
    """A new request and its jobs (two statements)."""
    raw = await driver.raw(conn)
    await driver.insert(raw, tables.generation_requests, [values])
    await driver.insert(raw, tables.jobs, job_rows)


ROW = rows.REQUEST
_BY_ID = driver.Sql(f"SELECT {ROW.columns} FROM generation_requests WHERE id = $1")
_JOBS_OF = driver.Sql(f"SELECT {rows.JOB.columns} FROM jobs WHERE request_id = $1 ORDER BY position")
_FINAL = ", ".join(f"'{s.value}'" for s in sorted(FINAL_STATES, key=lambda s: s.value))
_SETTLED = (
    f"state = '{RequestState.WAITING.value}'"
    f" AND NOT EXISTS (SELECT 1 FROM jobs WHERE request_id = $1 AND state NOT IN ({_FINAL}))"
)
_CHARGE_AND_SETTLE = driver.Sql(
    "UPDATE generation_requests SET charged_milli = charged_milli + $2, updated_at = $3,"
    " expires_at = CASE WHEN expires_at < $4 THEN $4 ELSE expires_at END,"
    f" state = CASE WHEN {_SETTLED} THEN '{RequestState.DONE.value}' ELSE state END WHERE id = $1"
)


async def by_id(conn: Connection, request_id: str) -> rows.RequestRow | None:
    return ROW.one(await (await driver.raw(conn)).fetchrow(_BY_ID, request_id))


_BY_IDS = driver.KeysSql(f"SELECT {rows.REQUEST_WORK.columns} FROM generation_requests WHERE id {{keys}}")


async def by_ids(conn: Connection, request_ids: Sequence[str]) -> dict[str, rows.RequestWork]:
    """The requests of these ids that exist, by id, as pops read them (``rows.REQUEST_WORK``; one statement)."""
    found = await (await driver.raw(conn)).fetch_keys(_BY_IDS, sorted(request_ids))
    return {req.id: req for req in map(rows.REQUEST_WORK, found)}


_LOCK = driver.Sql("SELECT id FROM generation_requests WHERE id = $1 FOR UPDATE", sqlite="SELECT 1")


async def lock_all(conn: Connection, request_ids: Sequence[str]) -> None:
    """Lock requests (in id order) before their jobs change: whoever finishes a request's last jobs at the same
    moment as another worker then reads that worker's finished job (PostgreSQL's statements read what was committed
    when they began, so without the lock each sees the other's job still processing and neither settles it)."""
    raw = await driver.raw(conn)
    if raw.is_sqlite:
        return
    for request_id in sorted(set(request_ids)):
        await raw.fetchrow(_LOCK, request_id)


async def charge_and_settle_all(
    conn: Connection, charges: Sequence[tuple[str, int]], now: dt.datetime, expires_at: dt.datetime
) -> None:
    """Jobs finished: add each (request id, charge) to its request, keep the request (and so its results) at least
    until ``expires_at``, and mark a waiting request done once none of its jobs is left queued or processing (one
    statement per job, in one ``executemany``, in request order)."""
    raw = await driver.raw(conn)
    at, until = raw.time(now), raw.time(expires_at)
    await raw.executemany(_CHARGE_AND_SETTLE, [(rid, charge, at, until) for rid, charge in sorted(charges)])


async def jobs_of(conn: Connection, request_id: str) -> list[rows.JobRow]:
    return [rows.JOB(row) for row in await (await driver.raw(conn)).fetch(_JOBS_OF, request_id)]


_ACTIVE = (
    "SELECT count(*) FROM jobs j JOIN generation_requests r ON r.id = j.request_id"
    f" WHERE r.user_id = $1 AND r.state = '{RequestState.WAITING.value}'"
    f" AND j.state IN ('{JobState.QUEUED.value}', '{JobState.PROCESSING.value}')"
)
_ACTIVE_OF_USER = driver.Sql(_ACTIVE)
_ACTIVE_OF_USER_AT = driver.Sql(_ACTIVE + " AND r.ip = $2")


async def active_jobs_of_user(conn: Connection, user_id: int, ip: str | None) -> int:
    """Jobs queued or processing for the user (for the anonymous user: for this IP only). Every new request
    asks: a hot path."""
    raw = await driver.raw(conn)
    if ip is None:
        row = await raw.one(_ACTIVE_OF_USER, user_id)
    else:
        row = await raw.one(_ACTIVE_OF_USER_AT, user_id, ip)
    return int(row[0])


_ACTIVE_AT_IP = driver.Sql(
    "SELECT count(*) FROM jobs j JOIN generation_requests r ON r.id = j.request_id"
    f" WHERE r.ip = $1 AND r.user_id <> $2 AND r.state = '{RequestState.WAITING.value}'"
    f" AND j.state IN ('{JobState.QUEUED.value}', '{JobState.PROCESSING.value}')"
)


async def active_jobs_at_ip(conn: Connection, ip: str) -> int:
    """Jobs queued or processing for registered accounts' requests made from this address."""
    row = await (await driver.raw(conn)).one(_ACTIVE_AT_IP, ip, ANONYMOUS_USER_ID)
    return int(row[0])


async def pending_for_key_milli(conn: Connection, key_id: str) -> int:
    """What the waiting requests made through a shared key may still cost (estimate less what was charged)."""
    total = await conn.scalar(
        sa.select(
            sa.func.coalesce(
                sa.func.sum(tables.generation_requests.c.estimate_milli - tables.generation_requests.c.charged_milli), 0
            )
        ).where(
            tables.generation_requests.c.shared_key_id == key_id,
            tables.generation_requests.c.state == RequestState.WAITING.value,
        )
    )
    return max(0, int(total or 0))


async def reserved_milli(conn: Connection, user_id: int) -> int:
    """Kudos held for the user's waiting requests that had to be paid up front and are not charged yet."""
    total = await conn.scalar(
        sa.select(
            sa.func.coalesce(
                sa.func.sum(tables.generation_requests.c.upfront_milli - tables.generation_requests.c.charged_milli), 0
            )
        ).where(
            tables.generation_requests.c.user_id == user_id,
            tables.generation_requests.c.state == RequestState.WAITING.value,
            tables.generation_requests.c.upfront_milli > 0,
        )
    )
    return max(0, int(total or 0))


async def set_state(conn: Connection, request_id: str, state: RequestState, now: dt.datetime) -> None:
    await conn.execute(
        tables.generation_requests.update()
        .where(tables.generation_requests.c.id == request_id)
        .values(state=state.value, updated_at=now)
    )


#: a worker holds one of the request's jobs: the request does not expire under it (the job's result, or its
#: deadline, comes first)
_JOB_OUT = sa.exists().where(
    tables.jobs.c.request_id == tables.generation_requests.c.id, tables.jobs.c.state == JobState.PROCESSING.value
)


async def expired(
    conn: Connection, now: dt.datetime, *, gallery_before: dt.datetime | None = None, limit: int = 500
) -> list[Row]:
    """Requests past their expiry that are not kept in a gallery (and gallery requests older than
    ``gallery_before``, when galleries expire at all)."""
    unkept = sa.and_(
        tables.generation_requests.c.expires_at < now, tables.generation_requests.c.kept.is_(False), ~_JOB_OUT
    )
    if gallery_before is not None:
        unkept = sa.or_(
            unkept,
            sa.and_(
                tables.generation_requests.c.kept.is_(True), tables.generation_requests.c.updated_at < gallery_before
            ),
        )
    query = (
        sa.select(
            tables.generation_requests.c.id,
            tables.generation_requests.c.state,
            tables.generation_requests.c.source_image_key,
            tables.generation_requests.c.source_mask_key,
        )
        .where(unkept)
        .limit(limit)
    )
    return list((await conn.execute(query)).all())


async def unserved_kept(conn: Connection, now: dt.datetime, limit: int = 500) -> list[str]:
    query = (
        sa.select(tables.generation_requests.c.id)
        .where(
            tables.generation_requests.c.state == RequestState.WAITING.value,
            tables.generation_requests.c.kept.is_(True),
            tables.generation_requests.c.expires_at < now,
            ~_JOB_OUT,
        )
        .limit(limit)
    )
    return list((await conn.execute(query)).scalars().all())


async def delete(conn: Connection, request_ids: Sequence[str]) -> None:
    if request_ids:
        await conn.execute(tables.jobs.delete().where(tables.jobs.c.request_id.in_(request_ids)))
        await conn.execute(tables.queue_entries.delete().where(tables.queue_entries.c.request_id.in_(request_ids)))
        await conn.execute(tables.generation_requests.delete().where(tables.generation_requests.c.id.in_(request_ids)))


async def for_user(conn: Connection, user_id: int, *, limit: int, offset: int = 0) -> list[rows.RequestRow]:
    query = (
        sa.select(tables.generation_requests)
        .where(tables.generation_requests.c.user_id == user_id)
        .order_by(tables.generation_requests.c.created_at.desc())
        .limit(limit)
        .offset(offset)
    )
    return [rows.RequestRow._make(row) for row in await conn.execute(query)]
