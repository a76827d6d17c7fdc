"""Group commit for SQLite's one writer: write transactions that arrive together share one COMMIT.

A COMMIT is the dearest part of a small SQLite transaction (the dirty pages are written to the WAL: 100-200 µs,
measured with ``bench/queue.py``, against some microseconds per indexed statement). Under load many writers are
ready in the same turn of the event loop, so:

- the first writer opens a batch (``BEGIN IMMEDIATE``); each writer runs inside its own ``SAVEPOINT``, so an
  exception rolls back that writer's changes only;
- when a writer's block ends, the batch's COMMIT is scheduled for the next turn of the loop; writers that became
  ready in the meantime join the batch first;
- a writer's ``write()`` returns only after the COMMIT that holds its changes (or raises if that COMMIT failed),
  so nothing is reported done before it is durable, exactly as with one transaction per writer.

Alone, a writer pays one extra turn of the loop. A batch is committed at once when it reaches ``MAX_MEMBERS``
writers or ``MAX_AGE`` seconds, so a steady stream of writers cannot hold it open.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

MAX_MEMBERS = 64
MAX_AGE = 0.05


class Batch:
    """One open write transaction and the writers waiting for its COMMIT."""

    def __init__(self, conn: sa.Connection, loop: asyncio.AbstractEventLoop) -> None:
        self.conn = conn
        self.transaction = conn.begin()  # BEGIN IMMEDIATE (the engine's "begin" listener)
        self.dbapi: Any = conn.connection.driver_connection
        self.committed: asyncio.Future[None] = loop.create_future()
        self.members = 0
        self.opened = time.monotonic()
        self.scheduled = False

    @contextlib.contextmanager
    def member(self) -> Iterator[sa.Connection]:
        """One writer's part of the batch, in a savepoint of its own."""
        self.dbapi.execute("SAVEPOINT horde_writer")
        try:
            yield self.conn
        except BaseException:
            self.dbapi.execute("ROLLBACK TO horde_writer")
            self.dbapi.execute("RELEASE horde_writer")
            raise
        self.dbapi.execute("RELEASE horde_writer")
        self.members += 1

    def full(self) -> bool:
        return self.members >= MAX_MEMBERS or time.monotonic() - self.opened >= MAX_AGE


class GroupCommitter:
    """Hands out places in the current batch to writers, one at a time (the caller holds the write lock)."""

    def __init__(self, engine: sa.Engine, lock: asyncio.Lock) -> None:
        self.engine = engine
        self.lock = lock
        self.batch: Batch | None = None

    def join(self) -> Batch:
        if self.batch is None:
            conn = self.engine.connect()
            try:
                self.batch = Batch(conn, asyncio.get_running_loop())
            except BaseException:
                conn.close()
                raise
        return self.batch

    def left(self, batch: Batch) -> None:
        """A writer's block ended (the lock is still held): commit now if the batch is full, else soon."""
        if batch.full():
            self.finish(batch)
        elif not batch.scheduled:
            batch.scheduled = True
            asyncio.get_running_loop().call_soon(self._commit_soon, batch)

    def _commit_soon(self, batch: Batch) -> None:
        batch.scheduled = False
        if batch is not self.batch:
            return  # already committed (it filled up)
        if self.lock.locked():
            return  # a writer is inside; it schedules the commit again when it leaves
        self.finish(batch)

    def finish(self, batch: Batch) -> None:
        """COMMIT the batch (ROLLBACK if that fails) and wake its writers."""
        self.batch = None
        try:
            batch.transaction.commit()
        except Exception as exc:  # noqa: BLE001 - every writer of the batch gets the failure
            with contextlib.suppress(Exception):
                batch.transaction.rollback()
            if batch.members:  # writers that failed on their own are not waiting
                batch.committed.set_exception(exc)
            else:
                batch.committed.set_result(None)
        else:
            batch.committed.set_result(None)
        finally:
            batch.conn.close()

    def close(self) -> None:
        if self.batch is not None:
            self.finish(self.batch)
