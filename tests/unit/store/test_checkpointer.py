"""SQLite checkpoints run on their own thread: the log is copied back into the database file without a writer on
the event loop doing it, and the thread stops with the database."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from horde.queue.store import checkpointer
from horde.queue.store.engine import Database


def rows_in_the_database_file(path: Path) -> int:
    """Rows of ``t`` in the database file itself: opened immutable, SQLite reads no write-ahead log."""
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM t").fetchone()[0])
    except sqlite3.OperationalError:  # the table itself is still only in the log
        return 0
    finally:
        conn.close()


async def test_the_log_is_checkpointed_by_the_thread_not_by_the_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpointer, "INTERVAL", 0.05)
    path = tmp_path / "c.db"
    db = Database(f"sqlite:///{path}")
    try:
        async with db.write() as conn:
            await conn.execute(sa.text("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)"))
        for i in range(50):
            async with db.write() as conn:
                await conn.execute(sa.text("INSERT INTO t (v) VALUES (:v)"), {"v": "x" * 500 * i})
        async with db.read() as conn:
            autocheckpoint = (await conn.execute(sa.text("PRAGMA wal_autocheckpoint"))).scalar()
        assert autocheckpoint == checkpointer.WRITER_AUTOCHECKPOINT  # far above what 50 writes fill
        for _ in range(100):
            if rows_in_the_database_file(path) == 50:
                break
            await asyncio.sleep(0.05)
        assert rows_in_the_database_file(path) == 50
        assert db._checkpointer is not None and db._checkpointer.runs > 0
    finally:
        await db.dispose()
    assert db._checkpointer is not None and not db._checkpointer._thread.is_alive()
