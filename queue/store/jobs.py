"""Jobs: the guarded state changes (claim, finish, re-queue, cancel). Each is one ``UPDATE … WHERE state IN``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from horde.queue.domain.jobs import JobState, sources_of
from horde.queue.store import driver, rows, tables

J = tables.jobs
Row = tables.AnyRow


ROW = rows.JOB
_FROM_QUEUED = ", ".join(f"'{s.value}'" for s in sorted(sources_of(JobState.PROCESSING), key=lambda s: s.value))
_TO_DONE = ", ".join(f"'{s.value}'" for s in sorted(sources_of(JobState.DONE), key=lambda s: s.value))
_CLAIM_SET = (
    f"SET state = '{JobState.PROCESSING.value}', worker_id = $3, model = $4, popped_at = $5, deadline = $6,"
    " attempts = attempts + 1"
)
_PICK = f"SELECT id FROM jobs WHERE request_id = $1 AND state = '{JobState.QUEUED.value}' ORDER BY position LIMIT $2"
CLAIM = driver.Sql(
    # PostgreSQL, one round trip: the locking pick runs once (MATERIALIZED; inlined, it ignored its LIMIT) and
    # skips rows a concurrent pop holds; the request's queue entries shrink by the jobs claimed (or go), and the
    # request is touched. Data-modifying CTEs all run, whatever the final SELECT reads.
    f"WITH picked AS MATERIALIZED ({_PICK} FOR UPDATE SKIP LOCKED),"
    f" claimed AS (UPDATE jobs {_CLAIM_SET} FROM picked WHERE jobs.id = picked.id AND jobs.state IN ({_FROM_QUEUED})"
    " RETURNING jobs.id, jobs.position, jobs.seed),"
    " n AS (SELECT count(*) AS taken FROM claimed),"
    " gone AS (DELETE FROM queue_entries q USING n WHERE q.request_id = $1 AND n.taken > 0 AND q.queued <= n.taken),"
    " fewer AS (UPDATE queue_entries q SET queued = q.queued - n.taken FROM n"
    " WHERE q.request_id = $1 AND n.taken > 0 AND q.queued > n.taken),"
    " touched AS (UPDATE generation_requests r SET updated_at = $5, expires_at = $7 FROM n"
    " WHERE r.id = $1 AND n.taken > 0)"
    " SELECT id, position, seed FROM claimed",
    # SQLite has one writer, so a plain subquery is exact; the queue and the request follow in two statements
    # (``claim``). +state: look the rows up by id, not by scanning every queued job.
    sqlite=f"UPDATE jobs {_CLAIM_SET} WHERE id IN ({_PICK}) AND +state IN ({_FROM_QUEUED}) RETURNING id, position, seed",
)
_DROP_TAKEN = driver.Sql("DELETE FROM queue_entries WHERE request_id = $1 AND queued <= $2")
_TAKE = driver.Sql("UPDATE queue_entries SET queued = queued - $2 WHERE request_id = $1")
_TOUCH = driver.Sql("UPDATE generation_requests SET updated_at = $2, expires_at = $3 WHERE id = $1")
_BY_ID = driver.Sql(f"SELECT {ROW.columns} FROM jobs WHERE id = $1")


def _prefixed(reader: driver.RowReader, alias: str) -> str:
    return ", ".join(f"{alias}.{name}" for name in reader.names)


_WITH_WORKER_AND_REQUEST = driver.Sql(
    f"SELECT {_prefixed(ROW, 'j')}, {_prefixed(rows.WORKER, 'w')}, {_prefixed(rows.REQUEST, 'r')} FROM jobs j"
    " LEFT JOIN workers w ON w.id = j.worker_id JOIN generation_requests r ON r.id = j.request_id WHERE j.id = $1"
)
_FINISH = driver.Sql(
    f"UPDATE jobs SET state = '{JobState.DONE.value}', finished_at = $3, result_state = $4, result_key = $5,"
    " result_text = $6, gen_metadata = $7, seed = $8, reward_milli = $9, charge_milli = $10"
    f" WHERE id = $1 AND worker_id = $2 AND state IN ({_TO_DONE})"
)


async def claim(
    conn: AsyncConnection,
    *,
    request_id: str,
    count: int,
    worker_id: str,
    model: str,
    now: dt.datetime,
    deadline: dt.datetime,
    expires_at: dt.datetime,
) -> list[Any]:
    """Hand up to ``count`` queued jobs of one request to a worker; the request's queue entries count them out
    (and go when none is left), and the request's expiry moves to ``expires_at``. Jobs locked by a concurrent pop
    are skipped (PostgreSQL ``FOR UPDATE SKIP LOCKED``; SQLite has one writer), so each job goes to exactly one
    worker. Returns (id, position, seed) rows in position order; none if another pop took them all."""
    raw = await driver.raw(conn)
    at = raw.time(now)
    expires = raw.time(expires_at)
    args = (request_id, count, worker_id, model, at, raw.time(deadline))
    claimed = await raw.fetch(CLAIM, *args) if raw.is_sqlite else await raw.fetch(CLAIM, *args, expires)
    if claimed and raw.is_sqlite:
        if not await raw.execute(_DROP_TAKEN, request_id, len(claimed)):
            await raw.execute(_TAKE, request_id, len(claimed))
        await raw.execute(_TOUCH, request_id, at, expires)
    return sorted(claimed, key=lambda row: row[1])


async def by_id(conn: AsyncConnection, job_id: str) -> Any | None:
    return ROW.one(await (await driver.raw(conn)).fetchrow(_BY_ID, job_id))


async def with_worker_and_request(conn: AsyncConnection, job_id: str) -> tuple[Any, Any | None, Any] | None:
    """A job, the worker holding it (if any) and its request, in one statement (what a submit reads)."""
    row = await (await driver.raw(conn)).fetchrow(_WITH_WORKER_AND_REQUEST, job_id)
    if row is None:
        return None
    values = tuple(row)
    a, b = len(ROW.names), len(ROW.names) + len(rows.WORKER.names)
    worker = rows.WORKER(values[a:b]) if values[a] is not None else None
    return ROW(values[:a]), worker, rows.REQUEST(values[b:])


async def finish(
    conn: AsyncConnection,
    *,
    job_id: str,
    worker_id: str,
    now: dt.datetime,
    result_state: str,
    result_key: str | None,
    result_text: str | None,
    gen_metadata: list[dict[str, Any]],
    seed: int,
    reward_milli: int,
    charge_milli: int,
) -> bool:
    """processing → done, only for the worker holding the job. False when someone else got there first."""
    raw = await driver.raw(conn)
    changed = await raw.execute(
        _FINISH,
        job_id,
        worker_id,
        raw.time(now),
        result_state,
        result_key,
        result_text,
        driver.to_json(gen_metadata),
        seed,
        reward_milli,
        charge_milli,
    )
    return bool(changed)


async def release(conn: AsyncConnection, *, job_id: str, worker_id: str | None, target: JobState) -> bool:
    """processing → queued (retry) or faulted (out of attempts)."""
    query = J.update().where(J.c.id == job_id, J.c.state == JobState.PROCESSING.value)
    if worker_id is not None:
        query = query.where(J.c.worker_id == worker_id)
    values: dict[str, Any] = {"state": target.value, "deadline": None}
    if target is JobState.QUEUED:
        values["worker_id"] = None
    result = await conn.execute(query.values(**values))
    return bool(result.rowcount)


async def overdue(conn: AsyncConnection, now: dt.datetime, limit: int = 500) -> list[Row]:
    query = (
        sa.select(J.c.id, J.c.request_id, J.c.worker_id, J.c.attempts)
        .where(J.c.state == JobState.PROCESSING.value, J.c.deadline < now)
        .limit(limit)
    )
    return list((await conn.execute(query)).all())


async def cancel_queued(conn: AsyncConnection, request_id: str) -> int:
    result = await conn.execute(
        J.update()
        .where(J.c.request_id == request_id, J.c.state.in_([s.value for s in sources_of(JobState.CANCELLED)]))
        .where(J.c.state == JobState.QUEUED.value)
        .values(state=JobState.CANCELLED.value)
    )
    return int(result.rowcount)


async def fault_queued(conn: AsyncConnection, request_id: str) -> int:
    result = await conn.execute(
        J.update()
        .where(J.c.request_id == request_id, J.c.state == JobState.QUEUED.value)
        .values(state=JobState.FAULTED.value)
    )
    return int(result.rowcount)


async def set_flags(conn: AsyncConnection, job_ids: Sequence[str], **values: Any) -> None:
    await conn.execute(J.update().where(J.c.id.in_(list(job_ids))).values(**values))
