"""Pop never scans the queue: the statements a pop runs are index lookups on both databases, whatever the
queue's length (the planners are asked what they would do, with sequential scans discouraged on PostgreSQL,
where the tables are empty)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from horde.queue.service import HordeService
from horde.queue.store import driver, jobs as job_store, queue as queue_store

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


async def plan(service: HordeService, sql: driver.Sql, *args: object) -> str:
    """The plan of ``sql``; datetimes in ``args`` are bound as the driver binds them."""
    async with service.ctx.db.write() as conn:  # a transaction, so SET LOCAL holds on PostgreSQL
        raw = await driver.raw(conn)
        bound = [raw.time(a) if isinstance(a, dt.datetime) else a for a in args]
        if raw.is_sqlite:
            rows = await raw.fetch(driver.Sql("EXPLAIN QUERY PLAN " + sql.sqlite), *bound)
            return " ".join(str(tuple(row)) for row in rows)
        await conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
        rows = await raw.fetch(driver.Sql("EXPLAIN " + sql.pg), *bound)
        return " ".join(row[0] for row in rows)


async def test_candidate_query_reads_each_model_from_the_pick_index(service: HordeService) -> None:
    if service.ctx.db.is_sqlite:
        text = await plan(service, queue_store.CANDIDATES, "image", 3, '["a", "b", ""]', "[7]")
    else:
        text = await plan(service, queue_store.CANDIDATES, "image", 3, ["a", "b", ""], [7])
    assert "ix_queue_entries_pick" in text
    assert "ix_queue_entries_user" in text
    if service.ctx.db.is_sqlite:
        assert "TEMP B-TREE" not in text  # no sort: rows come out of the index in rank order
        assert "SCAN queue_entries" not in text
    else:
        assert "Sort" not in text
        assert "Seq Scan" not in text


async def test_claim_finds_the_jobs_by_request_and_updates_them_by_id(service: HordeService) -> None:
    """SQLite only: its planner has no statistics to go by (no ANALYZE runs), so the statement itself must steer
    it. PostgreSQL plans from the table's statistics, which an empty test table does not have."""
    if not service.ctx.db.is_sqlite:
        pytest.skip("PostgreSQL plans from statistics an empty table does not have")
    async with service.ctx.db.write() as conn:
        rows = await (await driver.raw(conn)).fetch(
            driver.Sql("EXPLAIN QUERY PLAN " + job_store.QUEUED_OF.sqlite(2)), "r1", "r2"
        )
    text = " ".join(str(tuple(row)) for row in rows)
    assert "ix_jobs_request_state" in text
    assert "SCAN jobs" not in text
    text = await plan(service, job_store.CLAIM_ONE, "j", "w", "m", NOW, NOW)
    assert "SCAN jobs" not in text
    assert "ix_jobs_state_deadline" not in text  # the update looks rows up by id, not among all queued jobs
