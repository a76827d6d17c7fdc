"""Decoy jobs (``decoy_jobs``): the work-shaped jobs a paused worker is handed instead of real ones. Each row is
all there is of one: no request, no job, no queue entry refers to it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import sqlalchemy as sa

from horde.queue.store import tables  # noqa: F401 - before the economy's tables, which it imports at its end
from horde.queue.store.connection import Connection
from horde.queue.store.economy_tables import decoy_jobs


@dataclasses.dataclass(frozen=True)
class Decoy:
    id: str
    worker_id: str
    owner_id: int
    kind: str
    params: dict[str, Any]
    deadline: dt.datetime
    finished_at: dt.datetime | None


async def add_all(conn: Connection, decoys: list[Decoy]) -> None:
    if decoys:
        await conn.execute(decoy_jobs.insert(), [dataclasses.asdict(d) for d in decoys])


async def by_id(conn: Connection, decoy_id: str) -> Decoy | None:
    row = (await conn.execute(sa.select(decoy_jobs).where(decoy_jobs.c.id == decoy_id))).one_or_none()
    if row is None:
        return None
    return Decoy(row.id, row.worker_id, int(row.owner_id), row.kind, dict(row.params), row.deadline, row.finished_at)


async def finish(conn: Connection, decoy_id: str, now: dt.datetime) -> bool:
    """Mark a decoy finished; False when it already was (a submit of the same result again)."""
    result = await conn.execute(
        decoy_jobs.update()
        .where(decoy_jobs.c.id == decoy_id, decoy_jobs.c.finished_at.is_(None))
        .values(finished_at=now)
        .returning(decoy_jobs.c.id)
    )
    return result.first() is not None


async def end(conn: Connection, decoy_id: str, now: dt.datetime) -> None:
    """A decoy's worker failed it: it is over, as a real job taken back from its worker would be."""
    await conn.execute(decoy_jobs.update().where(decoy_jobs.c.id == decoy_id).values(deadline=now))


async def expired(conn: Connection, before: dt.datetime, limit: int = 1000) -> list[str]:
    """Decoys whose deadline passed before ``before``, oldest first."""
    query = sa.select(decoy_jobs.c.id).where(decoy_jobs.c.deadline < before).order_by(decoy_jobs.c.deadline)
    return [str(v) for v in (await conn.execute(query.limit(limit))).scalars().all()]


async def delete(conn: Connection, decoy_ids: list[str]) -> None:
    if decoy_ids:
        await conn.execute(decoy_jobs.delete().where(decoy_jobs.c.id.in_(decoy_ids)))
