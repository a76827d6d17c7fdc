"""The database: engines, SQLite pragmas, and the one-writer discipline.

Reads and writes go through ``Database.read()`` and ``Database.write()``. On SQLite every write transaction is
``BEGIN IMMEDIATE`` on one writer connection (an asyncio lock keeps the others waiting in-process instead of
spinning on "database is locked"), with WAL and ``synchronous=NORMAL``; reads use their own connections.
On PostgreSQL both are ordinary READ COMMITTED transactions and claims use ``FOR UPDATE SKIP LOCKED``.

On SQLite, statements run inline on the event loop through the standard library's sqlite3
(``InlineConnection``): our statements are indexed lookups of some microseconds each, and handing every one to
aiosqlite's thread cost ten times more than the statement itself (measured with ``bench/queue.py``). The few
queries that scan (statistics pages) are cached by their callers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from horde.queue import errors
from horde.queue.store import checkpointer, driver
from horde.queue.store.connection import Connection, Parameters, Result
from horde.queue.store.group_commit import Batch, GroupCommitter

logger = logging.getLogger(__name__)


def async_url(url: str) -> str:
    """Horde picks the driver: ``sqlite:///x`` → aiosqlite, ``postgresql://…`` → asyncpg."""
    for plain, scheme in (("sqlite://", "sqlite+aiosqlite://"), ("postgresql://", "postgresql+asyncpg://")):
        if url.startswith(plain):
            return scheme + url[len(plain) :]
    if url.startswith("postgres://"):
        return "postgresql+asyncpg://" + url[len("postgres://") :]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
    cursor = dbapi_connection.cursor()
    pragmas = (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "busy_timeout=5000",
        "foreign_keys=ON",
        "journal_size_limit=67108864",
    )
    for pragma in (*pragmas, f"wal_autocheckpoint={checkpointer.WRITER_AUTOCHECKPOINT}"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


class InlineConnection:
    """A ``Connection`` over a synchronous SQLAlchemy connection whose statements run inline."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn
        self._raw: driver.SqliteRaw | None = None

    @property
    def dialect(self) -> sa.Dialect:
        return self._conn.dialect

    async def driver(self) -> driver.Raw:
        """The sqlite3 connection underneath, for the hot-path statements (``driver``)."""
        if self._raw is None:
            dbapi = self._conn.connection.driver_connection
            if not isinstance(dbapi, sqlite3.Connection):  # pragma: no cover - the inline engines are sqlite3's
                raise TypeError(f"not a sqlite3 connection: {dbapi!r}")
            self._raw = driver.SqliteRaw(dbapi)
        return self._raw

    async def execute(self, statement: sa.Executable, parameters: Parameters = None) -> Result:
        return self._conn.execute(statement, parameters)

    async def scalar(self, statement: sa.Executable, parameters: Mapping[str, Any] | None = None) -> Any:
        return self._conn.scalar(statement, parameters)


class PgConnection:
    """A ``Connection`` over SQLAlchemy's asyncpg connection in autocommit mode inside an asyncpg transaction (or
    none, for reads), and its asyncpg connection for the hot-path statements (``driver``)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._raw: driver.PgRaw | None = None

    @property
    def dialect(self) -> sa.Dialect:
        return self._conn.dialect

    async def pg_driver(self) -> driver.PgRaw:
        """The asyncpg connection underneath, whose ``transaction()`` holds a write block."""
        if self._raw is None:
            self._raw = driver.PgRaw((await self._conn.get_raw_connection()).driver_connection)
        return self._raw

    async def driver(self) -> driver.Raw:
        return await self.pg_driver()

    async def execute(self, statement: sa.Executable, parameters: Parameters = None) -> Result:
        return await self._conn.execute(statement, parameters)

    async def scalar(self, statement: sa.Executable, parameters: Mapping[str, Any] | None = None) -> Any:
        return await self._conn.scalar(statement, parameters)


#: PostgreSQL's SQLSTATE for "sorry, too many clients already"
TOO_MANY_CONNECTIONS = "53300"


def _out_of_connections(exc: Exception) -> bool:
    """Whether connecting failed for want of a connection: the pool waited too long, or the server has none left."""
    if isinstance(exc, sa.exc.TimeoutError):
        return True
    orig = getattr(exc, "orig", None)
    return TOO_MANY_CONNECTIONS in (
        getattr(orig, "sqlstate", None),
        getattr(getattr(orig, "__cause__", None), "sqlstate", None),
    )


@contextlib.contextmanager
def _unique_clash_reported() -> Iterator[None]:
    """A unique-key clash (a concurrent call inserted the row first) becomes the engine's ``AlreadyExistsError``,
    so the service never sees SQLAlchemy's exceptions."""
    try:
        yield
    except sa.exc.IntegrityError as exc:
        raise errors.AlreadyExistsError from exc


class Database:
    """One database, with a read path and a write path."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = async_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        self._write_lock = asyncio.Lock()
        # PostgreSQL: one asyncpg engine. SQLite: two sqlite3 engines whose statements run inline (see above);
        # the aiosqlite engine is kept for tools that want an AsyncEngine (it opens no connection unless used).
        # connections beyond the kept ones are opened and closed per use (tens of ms each on PostgreSQL, measured as
        # the poll tail): keep most, with a few more for bursts
        self.writer = create_async_engine(self.url, pool_size=pool_size, max_overflow=max(5, pool_size // 4))
        self.pg_autocommit = self.writer.execution_options(isolation_level="AUTOCOMMIT")
        self.inline_writer: sa.Engine | None = None
        self.inline_reader: sa.Engine | None = None
        self._group: GroupCommitter | None = None
        self._checkpointer: checkpointer.Checkpointer | None = None
        if self.is_sqlite:
            sync = self.url.replace("sqlite+aiosqlite://", "sqlite://")
            self.inline_writer = sa.create_engine(sync, pool_size=1, max_overflow=0)
            self.inline_reader = sa.create_engine(sync, pool_size=4, max_overflow=12)
            for engine, begin in ((self.inline_writer, "BEGIN IMMEDIATE"), (self.inline_reader, "BEGIN")):
                event.listen(engine, "connect", _sqlite_pragmas)
                event.listen(engine, "begin", lambda conn, sql=begin: conn.exec_driver_sql(sql))
            self._group = GroupCommitter(self.inline_writer, self._write_lock)
            path = self.inline_writer.url.database
            if path and path != ":memory:":
                self._checkpointer = checkpointer.Checkpointer(path)
                self._checkpointer.start()

    @property
    def dialect(self) -> str:
        return self.writer.dialect.name

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[Connection]:
        """One write transaction; commits on success, rolls back on an exception.

        On SQLite, writers ready together share one COMMIT (``group_commit``); each still has all-or-nothing
        changes, and returns only once they are committed."""
        if self._group is not None:
            batch: Batch | None = None
            try:
                async with self._write_lock:
                    batch = self._group.join()
                    try:
                        with _unique_clash_reported(), batch.member() as sync_conn:
                            yield InlineConnection(sync_conn)
                    finally:
                        self._group.left(batch)
            except Exception:
                # what made this writer fail (a row it clashed with, say) may be another member's, not committed
                # yet: report the failure once the batch is, so the caller sees what it clashed with
                if batch is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.shield(batch.committed)
                raise
            # done only once the COMMIT holding these changes is; shielded, as other writers share that COMMIT
            await asyncio.shield(batch.committed)
        else:
            # SQLAlchemy in autocommit mode issues no BEGIN of its own; the transaction is asyncpg's, so the
            # statements of ``driver.raw`` and SQLAlchemy's share it
            with _unique_clash_reported():
                async with self._pg_connection() as sa_conn:
                    conn = PgConnection(sa_conn)
                    async with (await conn.pg_driver()).transaction():
                        yield conn

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[Connection]:
        """Reads: on SQLite a transaction with a consistent snapshot; on PostgreSQL autocommit statements."""
        if self.inline_reader is not None:
            with self.inline_reader.connect() as sync_conn:
                sync_conn.begin()
                try:
                    yield InlineConnection(sync_conn)
                finally:
                    sync_conn.rollback()
            return
        # PostgreSQL: autocommit reads, each statement on the latest committed data; a BEGIN and a ROLLBACK would
        # add two network round trips to every status poll for a snapshot nothing here needs
        async with self._pg_connection() as conn:
            yield PgConnection(conn)

    @contextlib.asynccontextmanager
    async def _pg_connection(self) -> AsyncIterator[AsyncConnection]:
        """A pooled PostgreSQL connection. None to be had (the pool's wait ran out, or the server is at its
        ``max_connections``) is ``ServiceBusyError``: the caller is told to try again, and nothing was done."""
        conn = self.pg_autocommit.connect()
        try:
            await conn.start()
        except (sa.exc.TimeoutError, sa.exc.DBAPIError) as exc:
            if _out_of_connections(exc):
                logger.warning(
                    "database_busy", extra={"action": "database_busy", "error": str(getattr(exc, "orig", None) or exc)}
                )
                raise errors.ServiceBusyError from exc
            raise
        try:
            yield conn
        finally:
            await asyncio.shield(conn.close())  # as AsyncConnection's own ``async with`` does

    async def dispose(self) -> None:
        if self._group is not None:
            self._group.close()
        if self._checkpointer is not None:
            self._checkpointer.stop()
        for engine in (self.inline_writer, self.inline_reader):
            if engine is not None:
                engine.dispose()
        await self.writer.dispose()


def make_throwaway_engine(url: str) -> AsyncEngine:
    """An engine without a pool, for one-off administrative statements."""
    return create_async_engine(async_url(url), poolclass=NullPool)


async def ping(db: Database) -> bool:
    async with db.read() as conn:
        return (await conn.execute(sa.text("SELECT 1"))).scalar() == 1
