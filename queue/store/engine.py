"""The database: engines, SQLite pragmas, and the one-writer discipline.

Reads and writes go through ``Database.read()`` and ``Database.write()``. On SQLite every write transaction is
``BEGIN IMMEDIATE`` on one writer connection (an asyncio lock keeps the others waiting in-process instead of
spinning on "database is locked"), with WAL and ``synchronous=NORMAL``; reads use their own connections.
On PostgreSQL both are ordinary READ COMMITTED transactions and claims use ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool


def async_url(url: str) -> str:
    """Horde picks the driver: ``sqlite:///x`` → aiosqlite, ``postgresql://…`` → asyncpg."""
    for plain, driver in (("sqlite://", "sqlite+aiosqlite://"), ("postgresql://", "postgresql+asyncpg://")):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    if url.startswith("postgres://"):
        return "postgresql+asyncpg://" + url[len("postgres://") :]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=5000", "foreign_keys=ON"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


class Database:
    """One database, with a read path and a write path."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = async_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        self._write_lock = asyncio.Lock()
        if self.is_sqlite:
            self.writer = create_async_engine(self.url, pool_size=1, max_overflow=0)
            self.reader = create_async_engine(self.url, pool_size=4, max_overflow=4)
            for engine, begin in ((self.writer, "BEGIN IMMEDIATE"), (self.reader, "BEGIN")):
                event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
                event.listen(engine.sync_engine, "begin", lambda conn, sql=begin: conn.exec_driver_sql(sql))
        else:
            self.writer = create_async_engine(self.url, pool_size=pool_size, max_overflow=pool_size)
            self.reader = self.writer

    @property
    def dialect(self) -> str:
        return self.writer.dialect.name

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction; commits on success, rolls back on an exception."""
        if self.is_sqlite:
            async with self._write_lock, self.writer.begin() as conn:
                yield conn
        else:
            async with self.writer.begin() as conn:
                yield conn

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction with a consistent snapshot."""
        async with self.reader.connect() as conn:
            await conn.begin()
            try:
                yield conn
            finally:
                await conn.rollback()

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()


def make_throwaway_engine(url: str) -> AsyncEngine:
    """An engine without a pool, for one-off administrative statements."""
    return create_async_engine(async_url(url), poolclass=NullPool)


async def ping(db: Database) -> bool:
    async with db.read() as conn:
        return (await conn.execute(sa.text("SELECT 1"))).scalar() == 1
