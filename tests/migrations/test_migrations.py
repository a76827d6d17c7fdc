"""Migrations: one head, the upgraded schema equals the metadata, and downgrade/upgrade round-trips."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from horde.queue.store import migrate, tables
from horde.queue.store.engine import make_throwaway_engine
from tests.conftest import _run


def test_single_head() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite:///unused.db"))
    assert len(script.get_heads()) == 1


async def _diff(url: str) -> list[Any]:
    engine = make_throwaway_engine(url)

    def compare(conn: Connection) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, tables.metadata))

    async with engine.connect() as conn:
        diff = await conn.run_sync(compare)
    await engine.dispose()
    # expression indexes (rank DESC) cannot be reflected by autogenerate; they are checked by the plan test
    return [d for d in diff if not (isinstance(d, tuple) and d[0] in ("add_index", "remove_index"))]


def test_upgraded_schema_matches_metadata(db_url: str) -> None:
    assert _run(_diff(db_url)) == []


@pytest.mark.parametrize("steps", ["base"])
def test_downgrade_then_upgrade(db_url: str, steps: str) -> None:
    migrate.downgrade(db_url, steps)
    migrate.upgrade(db_url)
    assert _run(_diff(db_url)) == []
