"""The audit log: who changed what, for moderators."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from horde.queue.store import tables
from horde.queue.store.connection import Connection


async def record(
    conn: Connection,
    *,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: str,
    details: dict[str, Any],
    now: dt.datetime,
) -> None:
    plain = {
        key: value if isinstance(value, str | int | float | bool | None) else str(value)
        for key, value in details.items()
    }
    await conn.execute(
        tables.audit_log.insert().values(
            actor_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            details=plain,
            created_at=now,
        )
    )


async def recent(conn: Connection, *, limit: int = 100) -> list[tables.AnyRow]:
    query = sa.select(tables.audit_log).order_by(tables.audit_log.c.id.desc()).limit(limit)
    return list((await conn.execute(query)).all())
