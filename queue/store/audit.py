"""The audit log: who changed what, for moderators."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from horde.queue.store import tables
from horde.queue.store.connection import Connection


def _plain(value: Any) -> Any:
    """``value`` as JSON can hold it: nested dicts and lists kept, datetimes as ISO text, anything else as text."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value if isinstance(value, str | int | float | bool | None) else str(value)


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
    plain = _plain(details)
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


async def search(
    conn: Connection,
    *,
    actor_id: int | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    action: str | None = None,
    limit: int = 100,
) -> list[tables.AnyRow]:
    """Entries, newest first, with the actor's name (``actor_name``), narrowed by any of the filters given;
    ``action`` matches a part of the action's name."""
    log, users = tables.audit_log, tables.users
    query = (
        sa.select(log, users.c.username.label("actor_name"))
        .select_from(log.outerjoin(users, users.c.id == log.c.actor_id))
        .order_by(log.c.id.desc())
        .limit(limit)
    )
    if actor_id is not None:
        query = query.where(log.c.actor_id == actor_id)
    if target_type is not None:
        query = query.where(log.c.target_type == target_type)
    if target_id is not None:
        query = query.where(log.c.target_id == target_id)
    if action:
        query = query.where(log.c.action.contains(action, autoescape=True))
    return list((await conn.execute(query)).all())
