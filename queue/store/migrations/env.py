"""Alembic environment: run by ``horde db upgrade`` (``horde.queue.store.migrate``), never by a bare ``alembic``."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from horde.queue.store import tables
from horde.queue.store.engine import make_throwaway_engine

config = context.config
MIGRATION_LOCK = 0x686F7264654D  #: "hordeM": held while a node migrates


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=tables.metadata,
        render_as_batch=True,  # every revision runs on SQLite too
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # several nodes starting at once: one migrates, the others wait here, then find nothing left to do
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        context.run_migrations()


async def _main() -> None:
    engine = make_throwaway_engine(config.get_main_option("sqlalchemy.url") or "")
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_main())
