"""Where results and source images live: a folder in the data dir (one node), or the database (several nodes)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa

from horde.queue import clock
from horde.queue.store import driver, tables
from horde.queue.store.engine import Database

_SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


def check_key(key: str) -> str:
    if not _SAFE_KEY.match(key) or ".." in key:
        raise ValueError(f"bad storage key {key!r}")
    return key


class ResultStore(Protocol):
    async def save(self, key: str, data: bytes, content_type: str = "image/webp") -> None: ...
    async def save_all_in(self, conn: Any, items: Sequence[tuple[str, bytes]]) -> None:
        """Several webp results at once, while the caller's write transaction is open: in it (a database store),
        or as files written before it commits."""
        ...

    async def load(self, key: str) -> bytes | None: ...
    async def delete(self, key: str) -> None: ...


#: results up to this size (and batches of up to this many) are written on the event loop; larger ones on a thread
INLINE_WRITE_BYTES = 256 * 1024
INLINE_WRITE_FILES = 4


class FolderResultStore:
    """Files under ``<data dir>/results``; writes go to a temporary name first, then are renamed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.folder / check_key(key)

    def _write(self, key: str, data: bytes) -> None:
        path = self._path(key)
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)

    async def save(self, key: str, data: bytes, content_type: str = "image/webp") -> None:
        await self.save_all_in(None, [(key, data)])

    async def save_all_in(self, conn: Any, items: Sequence[tuple[str, bytes]]) -> None:
        """A few small files are written on the event loop: into the page cache, cheaper than the hand-off to a
        thread, which would first wait for the GIL, up to its 5 ms switch interval (measured on 2 cores). A big
        batch goes to a thread in one hand-off, so that the file system's work runs on the other core while the
        loop goes on."""

        def write_all() -> None:
            for key, data in items:
                self._write(key, data)

        if len(items) <= INLINE_WRITE_FILES and sum(len(data) for _, data in items) <= INLINE_WRITE_BYTES:
            write_all()
        else:
            await asyncio.to_thread(write_all)

    async def load(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)


_UPSERT = driver.Sql(
    "INSERT INTO blobs (key, content_type, data, created_at) VALUES ($1, $2, $3, $4)"
    " ON CONFLICT (key) DO UPDATE SET content_type = excluded.content_type, data = excluded.data,"
    " created_at = excluded.created_at"
)


class DatabaseResultStore:
    """Blobs in the shared database, so every node behind a load balancer can serve every result."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, key: str, data: bytes, content_type: str = "image/webp") -> None:
        async with self.db.write() as conn:
            raw = await driver.raw(conn)
            await raw.execute(_UPSERT, check_key(key), content_type, data, raw.time(clock.now()))

    async def save_all_in(self, conn: Any, items: Sequence[tuple[str, bytes]]) -> None:
        raw = await driver.raw(conn)
        at = raw.time(clock.now())
        rows = sorted((check_key(key), "image/webp", data, at) for key, data in items)
        await raw.executemany(_UPSERT, rows)

    async def load(self, key: str) -> bytes | None:
        async with self.db.read() as conn:
            data = await conn.scalar(sa.select(tables.blobs.c.data).where(tables.blobs.c.key == check_key(key)))
        return bytes(data) if data is not None else None

    async def delete(self, key: str) -> None:
        async with self.db.write() as conn:
            await conn.execute(tables.blobs.delete().where(tables.blobs.c.key == check_key(key)))
