"""Jobs: the guarded state changes (claim, finish, re-queue, cancel). Each is one ``UPDATE … WHERE state IN``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from horde.queue.domain.jobs import JobState, sources_of
from horde.queue.store import driver, tables

J = tables.jobs
Row = tables.AnyRow


ROW = driver.RowReader(J)
_FROM_QUEUED = ", ".join(f"'{s.value}'" for s in sorted(sources_of(JobState.PROCESSING), key=lambda s: s.value))
_TO_DONE = ", ".join(f"'{s.value}'" for s in sorted(sources_of(JobState.DONE), key=lambda s: s.value))
_CLAIM_SET = (
    f"SET state = '{JobState.PROCESSING.value}', worker_id = $3, model = $4, popped_at = $5, deadline = $6,"
    " attempts = attempts + 1"
)
_CLAIM = driver.Sql(
    # PostgreSQL: the locking pick runs once (MATERIALIZED; inlined, it ignored its LIMIT), skipping rows a
    # concurrent pop holds. SQLite has one writer, so a plain subquery is exact there.
    "WITH picked AS MATERIALIZED (SELECT id FROM jobs WHERE request_id = $1"
    f" AND state = '{JobState.QUEUED.value}' ORDER BY position LIMIT $2 FOR UPDATE SKIP LOCKED)"
    f" UPDATE jobs {_CLAIM_SET} FROM picked WHERE jobs.id = picked.id AND jobs.state IN ({_FROM_QUEUED})"
    " RETURNING jobs.id, jobs.position, jobs.seed",
    sqlite=f"UPDATE jobs {_CLAIM_SET} WHERE id IN (SELECT id FROM jobs WHERE request_id = $1"
    f" AND state = '{JobState.QUEUED.value}' ORDER BY position LIMIT $2) AND +state IN ({_FROM_QUEUED})"
    " RETURNING id, position, seed",  # +state: look the rows up by id, not by scanning every queued job
)
_BY_ID = driver.Sql(f"SELECT {ROW.columns} FROM jobs WHERE id = $1")
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
) -> list[Any]:
    """Hand up to ``count`` queued jobs of one request to a worker. Jobs locked by a concurrent pop are skipped
    (PostgreSQL ``FOR UPDATE SKIP LOCKED``; SQLite has one writer), so each job goes to exactly one worker.
    Returns (id, position, seed) rows in position order."""
    raw = await driver.raw(conn)
    rows = await raw.fetch(_CLAIM, request_id, count, worker_id, model, raw.time(now), raw.time(deadline))
    return sorted(rows, key=lambda row: row[1])


async def by_id(conn: AsyncConnection, job_id: str) -> Any | None:
    return ROW.one(await (await driver.raw(conn)).fetchrow(_BY_ID, job_id))


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
