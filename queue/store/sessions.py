"""The session generation of each user: a web session names the generation it was made in, and is good only while
that is the user's current one. No row means generation 0."""

from __future__ import annotations

import sqlalchemy as sa

from horde.queue.store import tables
from horde.queue.store.connection import Connection

SESSIONS = tables.user_sessions


async def generation(conn: Connection, user_id: int) -> int:
    value = (
        await conn.execute(sa.select(SESSIONS.c.generation).where(SESSIONS.c.user_id == user_id))
    ).scalar_one_or_none()
    return int(value or 0)


async def advance(conn: Connection, user_id: int) -> int:
    """Move the user to a new generation (ending every session made before), and return it."""
    updated = await conn.execute(
        SESSIONS.update()
        .where(SESSIONS.c.user_id == user_id)
        .values(generation=SESSIONS.c.generation + 1)
        .returning(SESSIONS.c.generation)
    )
    value = updated.scalar_one_or_none()
    if value is not None:
        return int(value)
    await conn.execute(SESSIONS.insert().values(user_id=user_id, generation=1))
    return 1
