"""Jobs: the guarded state changes (claim, finish, re-queue, cancel). Each is one ``UPDATE … WHERE state IN``."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa

from horde.queue.domain.jobs import JobState, sources_of
from horde.queue.store import driver, rows, tables
from horde.queue.store.connection import Connection

Row = tables.AnyRow


ROW = rows.JOB
_FROM_QUEUED = ", ".join(f"'{s.value}'" for s in sorted(sources_of(JobState.PROCESSING), key=lambda s: s.value))
_TO_DONE = ", ".join(f"'{s.value}'" for s in sorted(sources_of(JobState.DONE), key=lambda s: s.value))
_DROP_TAKEN = driver.Sql("DELETE FROM queue_entries WHERE request_id = $1 AND queued <= $2")
_TAKE = driver.Sql(
    # PostgreSQL: one statement (one round trip) drops the entries the claim empties and counts out the others
    "WITH gone AS (DELETE FROM queue_entries WHERE request_id = $1 AND queued <= $2)"
    " UPDATE queue_entries SET queued = queued - $2 WHERE request_id = $1 AND queued > $2",
    # SQLite has no DELETE in a WITH: ``_DROP_TAKEN`` runs first, and the rows it dropped match no more
    sqlite="UPDATE queue_entries SET queued = queued - $2 WHERE request_id = $1",
)
_BY_ID = driver.Sql(f"SELECT {ROW.columns} FROM jobs WHERE id = $1")


def _prefixed(reader: driver.RowReader[Any], alias: str) -> str:
    return ", ".join(f"{alias}.{name}" for name in reader.names)


_WITH_WORKER_AND_REQUEST = (
    f"SELECT {_prefixed(ROW, 'j')}, {_prefixed(rows.HOLDER, 'w')}, {_prefixed(rows.REQUEST_WORK, 'r')} FROM jobs j"
    " LEFT JOIN workers w ON w.id = j.worker_id JOIN generation_requests r ON r.id = j.request_id"
    " WHERE j.id {keys} ORDER BY j.id"
)
#: PostgreSQL locks the jobs (in id order) until the submit's transaction ends, so a sweep re-queueing one of them
#: meanwhile waits instead of being overwritten; SQLite has one writer
_WITH_WORKER_AND_REQUEST_ALL = driver.KeysSql(
    _WITH_WORKER_AND_REQUEST + " FOR UPDATE OF j", sqlite=_WITH_WORKER_AND_REQUEST
)
_FINISH = driver.Sql(
    f"UPDATE jobs SET state = '{JobState.DONE.value}', finished_at = $3, result_state = $4, result_key = $5,"
    " result_text = $6, gen_metadata = $7, seed = $8, reward_milli = $9, charge_milli = $10"
    f" WHERE id = $1 AND worker_id = $2 AND state IN ({_TO_DONE})"
)


#: SQLite (one writer): the queued jobs of the requests, all of them
QUEUED_OF = driver.KeysSql(
    "SELECT id, request_id, position, seed, attempts FROM jobs"
    f" WHERE request_id {{keys}} AND state = '{JobState.QUEUED.value}'"
    " ORDER BY request_id, position"
)
#: PostgreSQL: for each request only as many queued jobs as its claims want, locked until the COMMIT; rows a
#: concurrent claim holds are skipped (so a concurrent batch still gets the request's other jobs)
LOCK_QUEUED = driver.Sql(
    "SELECT j.id, j.request_id, j.position, j.seed, j.attempts FROM unnest($1::text[], $2::int[]) AS r(id, wanted)"
    " CROSS JOIN LATERAL (SELECT id, request_id, position, seed, attempts FROM jobs"
    f" WHERE request_id = r.id AND state = '{JobState.QUEUED.value}' ORDER BY position LIMIT r.wanted"
    " FOR UPDATE SKIP LOCKED) AS j"
)
CLAIM_ONE = driver.Sql(
    f"UPDATE jobs SET state = '{JobState.PROCESSING.value}', worker_id = $2, model = $3, popped_at = $4,"
    f" deadline = $5, attempts = attempts + 1 WHERE id = $1 AND state IN ({_FROM_QUEUED})"
)


@dataclasses.dataclass(frozen=True)
class Claim:
    """Up to ``count`` queued jobs of a request for a worker."""

    request_id: str
    count: int
    worker_id: str
    model: str
    deadline: dt.datetime


class ClaimedJob(NamedTuple):
    """A job a claim handed out."""

    id: str
    position: int
    seed: int
    handout: int  #: which hand-out of the job this is (its ``attempts`` now): what its upload URL is bound to


class _Queued(NamedTuple):
    id: str
    request_id: str
    position: int
    seed: int
    attempts: int


async def claim_all(conn: Connection, claims: Sequence[Claim], now: dt.datetime) -> list[list[ClaimedJob]]:
    """Hand out queued jobs for several claims at once, in a few statements whatever their number: the queued
    jobs of their requests are read (on PostgreSQL only as many as wanted, locked, skipping rows a concurrent claim
    holds: each job goes to exactly one worker) and handed out in position order, claims served in the order
    given; the requests' queue entries count them out (and go when none is left). Returns, per claim, its
    (id, position, seed, hand-out) rows in position order: fewer than asked, or none, when the jobs ran out.

    The request itself is not written: a request with a job out is kept from expiring by the sweep
    (``requests.expired``), and each result moves its expiry (``requests.charge_and_settle_all``)."""
    raw = await driver.raw(conn)
    wanted: dict[str, int] = {}
    for c in claims:
        wanted[c.request_id] = wanted.get(c.request_id, 0) + c.count
    ids = sorted(wanted)
    if raw.is_sqlite:
        found = await raw.fetch_keys(QUEUED_OF, ids)
    else:
        found = await raw.fetch(LOCK_QUEUED, ids, [wanted[i] for i in ids])
    available: dict[str, list[_Queued]] = {}
    for job in sorted(map(_Queued._make, found), key=lambda job: (job.request_id, job.position)):
        available.setdefault(job.request_id, []).append(job)
    at = raw.time(now)
    handed: list[list[ClaimedJob]] = []
    updates: list[tuple[Any, ...]] = []
    taken: dict[str, int] = {}
    for c in claims:
        jobs = available.get(c.request_id, [])
        mine, available[c.request_id] = jobs[: c.count], jobs[c.count :]
        handed.append([ClaimedJob(job.id, job.position, job.seed, job.attempts + 1) for job in mine])
        if mine:
            deadline = raw.time(c.deadline)
            updates += [(job.id, c.worker_id, c.model, at, deadline) for job in mine]
            taken[c.request_id] = taken.get(c.request_id, 0) + len(mine)
    if updates:
        await raw.executemany(CLAIM_ONE, sorted(updates))
        counted = sorted(taken.items())
        if raw.is_sqlite:
            await raw.executemany(_DROP_TAKEN, counted)
        await raw.executemany(_TAKE, counted)
    return handed


async def by_id(conn: Connection, job_id: str) -> rows.JobRow | None:
    return ROW.one(await (await driver.raw(conn)).fetchrow(_BY_ID, job_id))


async def with_worker_and_request_all(
    conn: Connection, job_ids: Sequence[str]
) -> dict[str, tuple[rows.JobRow, rows.Holder | None, rows.RequestWork]]:
    """job id → (job, the worker holding it or None, its request), for the jobs that exist: what a batch of
    submits reads (``rows.HOLDER``, ``rows.REQUEST_WORK``), in one statement."""
    found = await (await driver.raw(conn)).fetch_keys(_WITH_WORKER_AND_REQUEST_ALL, sorted(set(job_ids)))
    a, b = len(ROW.names), len(ROW.names) + len(rows.HOLDER.names)
    result = {}
    for row in found:
        values = tuple(row)
        worker = rows.HOLDER(values[a:b]) if values[a] is not None else None
        result[values[0]] = (ROW(values[:a]), worker, rows.REQUEST_WORK(values[b:]))
    return result


@dataclasses.dataclass(frozen=True)
class Finish:
    """A job's result, as ``finish_all`` records it."""

    job_id: str
    worker_id: str
    result_state: str
    result_key: str | None
    result_text: str | None
    gen_metadata: list[dict[str, Any]]
    seed: int
    reward_milli: int
    charge_milli: int


async def finish_all(conn: Connection, finished: Sequence[Finish], now: dt.datetime) -> None:
    """processing → done, each only for the worker holding it (the caller read the jobs in this transaction;
    on PostgreSQL with their rows locked)."""
    raw = await driver.raw(conn)
    at = raw.time(now)
    rows = [
        (
            f.job_id,
            f.worker_id,
            at,
            f.result_state,
            f.result_key,
            f.result_text,
            driver.to_json(f.gen_metadata),
            f.seed,
            f.reward_milli,
            f.charge_milli,
        )
        for f in sorted(finished, key=lambda f: f.job_id)
    ]
    await raw.executemany(_FINISH, rows)


async def release(conn: Connection, *, job_id: str, worker_id: str | None, target: JobState) -> bool:
    """processing → queued (retry) or faulted (out of attempts)."""
    query = tables.jobs.update().where(tables.jobs.c.id == job_id, tables.jobs.c.state == JobState.PROCESSING.value)
    if worker_id is not None:
        query = query.where(tables.jobs.c.worker_id == worker_id)
    values: dict[str, Any] = {"state": target.value, "deadline": None}
    if target is JobState.QUEUED:
        values["worker_id"] = None
    result = await conn.execute(query.values(**values))
    return bool(result.rowcount)


async def overdue(conn: Connection, now: dt.datetime, limit: int = 500) -> list[Row]:
    query = (
        sa.select(tables.jobs.c.id, tables.jobs.c.request_id, tables.jobs.c.worker_id, tables.jobs.c.attempts)
        .where(tables.jobs.c.state == JobState.PROCESSING.value, tables.jobs.c.deadline < now)
        .limit(limit)
    )
    return list((await conn.execute(query)).all())


async def cancel_queued(conn: Connection, request_id: str) -> int:
    result = await conn.execute(
        tables.jobs.update()
        .where(
            tables.jobs.c.request_id == request_id,
            tables.jobs.c.state.in_([s.value for s in sources_of(JobState.CANCELLED)]),
        )
        .where(tables.jobs.c.state == JobState.QUEUED.value)
        .values(state=JobState.CANCELLED.value)
    )
    return int(result.rowcount)


async def fault_queued(conn: Connection, request_id: str) -> int:
    result = await conn.execute(
        tables.jobs.update()
        .where(tables.jobs.c.request_id == request_id, tables.jobs.c.state == JobState.QUEUED.value)
        .values(state=JobState.FAULTED.value)
    )
    return int(result.rowcount)


async def set_flags(conn: Connection, job_ids: Sequence[str], **values: Any) -> None:
    await conn.execute(tables.jobs.update().where(tables.jobs.c.id.in_(list(job_ids))).values(**values))
