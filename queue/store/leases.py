"""Leases held for long: one holder at a time of a named role (a chat bot's account), whatever the number of nodes.

On PostgreSQL a session advisory lock, taken on a connection kept for the purpose. PostgreSQL drops it when that
connection closes, so the lease of a holder that died is free at once; a holder learns that its own connection broke
(and so that it may no longer hold the lease) from ``Lease.alive``. On SQLite, which serves one machine, an exclusive
file lock beside the database, as ``locks.leader`` takes.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from horde.queue.store import locks
from horde.queue.store.engine import Database


@dataclasses.dataclass
class Lease:
    """A lease held; ``conn`` is the PostgreSQL connection holding it (None on SQLite, where the file lock stays
    with the process)."""

    conn: AsyncConnection | None

    async def alive(self) -> bool:
        """Whether the lease is still this process's: its connection still answers."""
        if self.conn is None:
            return True
        try:
            return bool(await self.conn.scalar(sa.text("SELECT 1")))
        except Exception:  # noqa: BLE001 - any failure means the connection, and the lock with it, may be gone
            return False


@contextlib.asynccontextmanager
async def lease(db: Database, key: int) -> AsyncIterator[Lease | None]:
    """Yields a ``Lease`` while this process holds ``key``, or None when another holder has it."""
    if db.is_sqlite:
        async with locks.leader(db, key) as got:
            yield Lease(None) if got else None
        return
    async with db.pg_autocommit.connect() as conn:
        got = bool(await conn.scalar(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}))
        try:
            yield Lease(conn) if got else None
        finally:
            if got:
                with contextlib.suppress(Exception):  # a broken connection took the lock with it
                    await conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
