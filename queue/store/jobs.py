"""Jobs: the guarded state changes (claim, finish, re-queue, cancel). Each is one ``UPDATE … WHERE state IN``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from horde.queue.domain.jobs import JobState, sources_of
from horde.queue.store import tables

J = tables.jobs
Row = tables.AnyRow


def _claim_statement() -> sa.Update:
    picked = (
        sa.select(J.c.id)
        .where(J.c.request_id == sa.bindparam("b_request_id"), J.c.state == JobState.QUEUED.value)
        .order_by(J.c.position)
        .limit(sa.bindparam("b_count", type_=sa.Integer))
        .with_for_update(skip_locked=True)
        .cte("picked")
        .prefix_with("MATERIALIZED", dialect="postgresql")  # run the locking pick once, never per row
    )
    return (
        J.update()
        .where(J.c.id == picked.c.id, J.c.state.in_([s.value for s in sources_of(JobState.PROCESSING)]))
        .values(
            state=JobState.PROCESSING.value,
            worker_id=sa.bindparam("b_worker_id"),
            model=sa.bindparam("b_model"),
            popped_at=sa.bindparam("b_now"),
            deadline=sa.bindparam("b_deadline"),
            attempts=J.c.attempts + 1,
        )
        .returning(J.c.id, J.c.position, J.c.seed)
    )


_CLAIM = _claim_statement()


async def claim(
    conn: AsyncConnection,
    *,
    request_id: str,
    count: int,
    worker_id: str,
    model: str,
    now: dt.datetime,
    deadline: dt.datetime,
) -> list[Row]:
    """Hand up to ``count`` queued jobs of one request to a worker. Jobs locked by a concurrent pop are skipped
    (PostgreSQL ``FOR UPDATE SKIP LOCKED``; SQLite has one writer), so each job goes to exactly one worker."""
    params = {
        "b_request_id": request_id,
        "b_count": count,
        "b_worker_id": worker_id,
        "b_model": model,
        "b_now": now,
        "b_deadline": deadline,
    }
    return sorted((await conn.execute(_CLAIM, params)).all(), key=lambda row: row.position)


_BY_ID = sa.select(J).where(J.c.id == sa.bindparam("id"))


async def by_id(conn: AsyncConnection, job_id: str) -> Row | None:
    return (await conn.execute(_BY_ID, {"id": job_id})).one_or_none()


async def finish(conn: AsyncConnection, *, job_id: str, worker_id: str, values: dict[str, Any]) -> bool:
    """processing → done, only for the worker holding the job. False when someone else got there first."""
    result = await conn.execute(
        J.update()
        .where(
            J.c.id == job_id, J.c.worker_id == worker_id, J.c.state.in_([s.value for s in sources_of(JobState.DONE)])
        )
        .values(state=JobState.DONE.value, **values)
    )
    return bool(result.rowcount)


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
