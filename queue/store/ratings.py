"""Aesthetic ratings of finished results."""

from __future__ import annotations

import sqlalchemy as sa

from horde.queue.domain.jobs import GenerationKind, RequestState
from horde.queue.store import tables
from horde.queue.store.connection import Connection


async def rated_job_ids(conn: Connection, job_ids: list[str]) -> set[str]:
    if not job_ids:
        return set()
    rows = await conn.execute(sa.select(tables.ratings.c.job_id).where(tables.ratings.c.job_id.in_(job_ids)))
    return {row[0] for row in rows}


async def insert(conn: Connection, values: list[dict[str, object]]) -> None:
    if values:
        await conn.execute(tables.ratings.insert(), values)


async def unrated_requests(conn: Connection, user_id: int, *, limit: int) -> list[str]:
    """A user's finished, shared image requests of which no image is rated yet, newest first."""
    requests, jobs, ratings = tables.generation_requests, tables.jobs, tables.ratings
    rated = sa.select(jobs.c.request_id).join(ratings, ratings.c.job_id == jobs.c.id)
    query = (
        sa.select(requests.c.id)
        .where(
            requests.c.user_id == user_id,
            requests.c.kind == GenerationKind.IMAGE.value,
            requests.c.state == RequestState.DONE.value,
            requests.c.shared.is_(True),
            requests.c.id.not_in(rated),
        )
        .order_by(requests.c.created_at.desc())
        .limit(limit)
    )
    return [row[0] for row in await conn.execute(query)]


async def latest_of(conn: Connection, user_id: int, *, limit: int) -> list[tuple[int | None, int | None]]:
    """A rater's latest ratings, (score, artifacts), newest first."""
    ratings = tables.ratings
    query = (
        sa.select(ratings.c.rating, ratings.c.artifacts)
        .where(ratings.c.user_id == user_id)
        .order_by(ratings.c.id.desc())
        .limit(limit)
    )
    return [(row[0], row[1]) for row in await conn.execute(query)]
