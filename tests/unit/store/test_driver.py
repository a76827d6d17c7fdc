"""The hot-path driver layer writes and reads values exactly as SQLAlchemy does, so both can share tables."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from horde.queue.service import HordeService
from horde.queue.store import driver, tables, workers as worker_store

WHEN = dt.datetime(2026, 11, 25, 14, 26, 57, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))


def test_sqlite_times_are_bound_in_sqlalchemys_storage_format() -> None:
    dialect = sa.create_engine("sqlite://").dialect
    bind = sa.DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert bind is not None
    for value in (WHEN, WHEN.replace(microsecond=0), dt.datetime(1999, 1, 2, tzinfo=dt.UTC)):
        assert driver.SqliteRaw.time(None, value) == bind(value.astimezone(dt.UTC))  # type: ignore[arg-type]


def test_placeholders_are_numbered_for_sqlite() -> None:
    sql = driver.Sql("SELECT $1, $2, $10")
    assert sql.pg == "SELECT $1, $2, $10"
    assert sql.sqlite == "SELECT ?1, ?2, ?10"


async def test_rows_written_by_sqlalchemy_read_back_alike_through_the_driver(service: HordeService) -> None:
    values = {
        "id": "w-1",
        "name": "driver test",
        "owner_id": 1,
        "kind": "image",
        "models": ["a", "b"],
        "max_pixels": 4096,
        "capabilities": {"lora": True},
        "nsfw": False,
        "maintenance": True,
        "paused": False,
        "threads": 1,
        "created_at": WHEN,
        "last_check_in": WHEN,
        "uptime_seconds": 1.5,
        "uptime_unpaid_seconds": 0.0,
        "kudos_earned_milli": 7,
        "jobs_done": 0,
        "jobs_aborted": 0,
        "things_done": 0.0,
        "seconds_busy": 0.0,
    }
    async with service.ctx.db.write() as conn:
        await conn.execute(tables.workers.insert().values(**values))
    async with service.ctx.db.read() as conn:
        via_driver = await worker_store.by_id(conn, "w-1")
        via_sqlalchemy = (await conn.execute(sa.select(tables.workers).where(tables.workers.c.id == "w-1"))).one()
    assert via_driver is not None
    assert via_driver._asdict() == dict(via_sqlalchemy._mapping)
    assert via_driver.last_check_in == WHEN
    assert via_driver.last_check_in.tzinfo is dt.UTC
    assert via_driver.maintenance is True
    assert via_driver.models == ["a", "b"]


async def test_times_written_through_the_driver_read_back_through_sqlalchemy(service: HordeService) -> None:
    async with service.ctx.db.write() as conn:
        await conn.execute(
            tables.workers.insert().values(
                id="w-2",
                name="w-2",
                owner_id=1,
                kind="image",
                models=[],
                max_pixels=4096,
                capabilities={},
                nsfw=True,
                created_at=WHEN,
                last_check_in=WHEN,
            )
        )
        later = WHEN + dt.timedelta(minutes=5)
        await worker_store.check_in_all(
            conn,
            [
                worker_store.CheckIn(
                    "w-2",
                    models=["m"],
                    max_pixels=8192,
                    capabilities={},
                    nsfw=True,
                    threads=2,
                    bridge_agent=None,
                    ip=None,
                    now=later,
                    uptime_seconds=300.0,
                    uptime_unpaid_seconds=300.0,
                    earned_milli=0,
                )
            ],
        )
    async with service.ctx.db.read() as conn:
        row = (await conn.execute(sa.select(tables.workers).where(tables.workers.c.id == "w-2"))).one()
        newer = await conn.scalar(sa.select(sa.func.count()).where(tables.workers.c.last_check_in > WHEN))
    assert row.last_check_in == later
    assert row.models == ["m"]
    assert newer == 1  # the stored text compares as SQLAlchemy's does
