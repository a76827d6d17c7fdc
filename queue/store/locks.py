"""Leadership for background work: with several nodes on one PostgreSQL, exactly one runs the sweeps.

On SQLite several processes of one machine (``horde serve --workers N``) may share the file: an exclusive
``flock`` on a file beside the database picks one of them in the same way.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import AsyncIterator, Iterator

import sqlalchemy as sa

from horde.queue.store.connection import Connection
from horde.queue.store.engine import Database

SWEEP_LOCK = 0x686F726465  #: "horde"


@contextlib.asynccontextmanager
async def leader(db: Database, key: int = SWEEP_LOCK) -> AsyncIterator[bool]:
    """Yields True on the one node holding the advisory lock (on SQLite: the one process holding the file lock)."""
    if db.is_sqlite:
        path = db.inline_writer.url.database if db.inline_writer is not None else None
        with _file_lock(f"{path}.lock-{key:x}" if path and path != ":memory:" else None) as got:
            yield got
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


@contextlib.contextmanager
def _file_lock(path: str | None) -> Iterator[bool]:
    """True while this process holds an exclusive lock on ``path`` (released when closed, or when it dies)."""
    if path is None:  # an in-memory database: one process only
        yield True
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing drops the lock
