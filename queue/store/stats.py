"""Aggregates for the status and stats endpoints: finished jobs per period and per model."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from horde.queue.domain.jobs import JobState
from horde.queue.store import tables
from horde.queue.store.connection import Connection


def _done(kind: str, since: dt.datetime | None) -> list[sa.ColumnElement[bool]]:
    where = [tables.jobs.c.state == JobState.DONE.value, tables.generation_requests.c.kind == kind]
    if since is not None:
        where.append(tables.jobs.c.finished_at >= since)
    return where


async def totals(conn: Connection, kind: str, since: dt.datetime | None) -> tuple[int, float]:
    """(finished jobs, their things: megapixelsteps or tokens) since a moment (None: ever)."""
    query = (
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(tables.generation_requests.c.things), 0.0))
        .select_from(
            tables.jobs.join(tables.generation_requests, tables.generation_requests.c.id == tables.jobs.c.request_id)
        )
        .where(*_done(kind, since))
    )
    row = (await conn.execute(query)).one()
    return int(row[0]), float(row[1])


async def by_model(conn: Connection, kind: str, since: dt.datetime | None) -> dict[str, int]:
    """model -> finished jobs since a moment (None: ever)."""
    query = (
        sa.select(tables.jobs.c.model, sa.func.count())
        .select_from(
            tables.jobs.join(tables.generation_requests, tables.generation_requests.c.id == tables.jobs.c.request_id)
        )
        .where(*_done(kind, since))
        .group_by(tables.jobs.c.model)
    )
    return {str(row[0] or ""): int(row[1]) for row in await conn.execute(query)}
