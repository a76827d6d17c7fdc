"""Leadership for background work: with several nodes on one PostgreSQL, exactly one runs the sweeps."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import sqlalchemy as sa

from horde.queue.store.connection import Connection
from horde.queue.store.engine import Database

SWEEP_LOCK = 0x686F726465  #: "horde"


@contextlib.asynccontextmanager
async def leader(db: Database, key: int = SWEEP_LOCK) -> AsyncIterator[bool]:
    """Yields True on the one node holding the advisory lock (always True on SQLite, which has one node)."""
    if db.is_sqlite:
        yield True
        return
    async with db.writer.connect() as conn:
        got = bool(await conn.scalar(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}))
        try:
            yield got
        finally:
            if got:
                await conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            await conn.commit()


async def hold(conn: Connection, key: str) -> None:
    """Hold ``key`` until the transaction ends, so check-then-write transactions on the same key run one after the
    other (a PostgreSQL advisory lock; SQLite's single writer serialises write transactions already)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
