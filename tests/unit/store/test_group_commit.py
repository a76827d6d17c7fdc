"""SQLite group commit: writers ready together share one COMMIT, keep all-or-nothing changes each, and return
only once their changes are committed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from horde.queue import errors
from horde.queue.store import group_commit
from horde.queue.store.engine import Database

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'g.db'}")
    async with database.write() as conn:
        await conn.execute(sa.text("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)"))
    yield database
    await database.dispose()


def count_commits(db: Database) -> list[int]:
    commits: list[int] = []
    assert db.inline_writer is not None
    event.listen(db.inline_writer, "commit", lambda conn: commits.append(1))
    return commits


async def rows(db: Database) -> dict[int, str]:
    async with db.read() as conn:
        return {row[0]: row[1] for row in (await conn.execute(sa.text("SELECT k, v FROM t"))).all()}


async def test_writers_ready_together_share_one_commit(db: Database) -> None:
    commits = count_commits(db)

    async def insert(k: int) -> None:
        async with db.write() as conn:
            await conn.execute(sa.text("INSERT INTO t VALUES (:k, 'x')"), {"k": k})
        # returning means committed: a fresh read connection sees the row
        assert k in await rows(db)

    await asyncio.gather(*(insert(k) for k in range(20)))
    assert len(await rows(db)) == 20
    assert 1 <= len(commits) <= 2  # not 20


async def test_a_failing_writer_loses_only_its_own_changes(db: Database) -> None:
    async def good(k: int) -> None:
        async with db.write() as conn:
            await conn.execute(sa.text("INSERT INTO t VALUES (:k, 'good')"), {"k": k})

    async def bad() -> None:
        async with db.write() as conn:
            await conn.execute(sa.text("INSERT INTO t VALUES (100, 'bad')"))
            raise RuntimeError("changed my mind")

    results = await asyncio.gather(good(1), bad(), good(2), return_exceptions=True)
    assert isinstance(results[1], RuntimeError)
    assert await rows(db) == {1: "good", 2: "good"}


async def test_a_lone_writer_commits_and_returns(db: Database) -> None:
    commits = count_commits(db)
    for k in range(3):
        async with db.write() as conn:
            await conn.execute(sa.text("INSERT INTO t VALUES (:k, 'x')"), {"k": k})
        assert k in await rows(db)
    assert len(commits) == 3


async def test_a_full_batch_commits_at_once(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(group_commit, "MAX_MEMBERS", 4)
    commits = count_commits(db)

    async def insert(k: int) -> None:
        async with db.write() as conn:
            await conn.execute(sa.text("INSERT INTO t VALUES (:k, 'x')"), {"k": k})

    await asyncio.gather(*(insert(k) for k in range(10)))
    assert len(await rows(db)) == 10
    assert len(commits) == 3  # 4 + 4 + 2


async def test_a_failed_commit_fails_every_writer_of_the_batch(db: Database) -> None:
    assert db.inline_writer is not None

    def refuse(conn: sa.Connection) -> None:
        raise OSError("disk full")

    event.listen(db.inline_writer, "commit", refuse)

    async def insert(k: int) -> None:
        async with db.write() as conn:
            await conn.execute(sa.text("INSERT INTO t VALUES (:k, 'x')"), {"k": k})

    results = await asyncio.gather(*(insert(k) for k in range(5)), return_exceptions=True)
    assert all(isinstance(r, OSError) for r in results)
    event.remove(db.inline_writer, "commit", refuse)
    assert await rows(db) == {}
    async with db.write() as conn:  # the writer connection is usable again
        await conn.execute(sa.text("INSERT INTO t VALUES (7, 'after')"))
    assert await rows(db) == {7: "after"}


async def test_a_cancelled_writer_does_not_cancel_the_shared_commit(db: Database) -> None:
    async def insert(k: int) -> None:
        async with db.write() as conn:
            await conn.execute(sa.text("INSERT INTO t VALUES (:k, 'x')"), {"k": k})

    first = asyncio.ensure_future(insert(1))
    second = asyncio.ensure_future(insert(2))
    await asyncio.sleep(0)  # both ran their blocks and wait for the commit
    first.cancel()
    await asyncio.gather(first, second, return_exceptions=True)
    assert second.exception() is None
    assert await rows(db) == {1: "x", 2: "x"}


async def test_a_writer_that_clashes_with_a_batch_member_fails_once_that_row_is_committed(db: Database) -> None:
    """A clash is reported after the COMMIT of the row it clashed with, so the caller can read that row at once."""

    async def insert() -> None:
        async with db.write() as conn:
            await conn.execute(sa.text("INSERT INTO t (k, v) VALUES (7, 'first')"))

    async def insert_or_read() -> str:
        try:
            await insert()
        except errors.AlreadyExistsError:
            async with db.read() as conn:
                return str(await conn.scalar(sa.text("SELECT v FROM t WHERE k = 7")))
        return "inserted"

    outcomes = await asyncio.gather(insert_or_read(), insert_or_read())
    assert sorted(outcomes) == ["first", "inserted"]
