"""Trust escrow balances: what each untrusted worker owner has earned and the horde holds (``trust_escrow``).

The ledger records every hold and release (``escrow_hold``, ``escrow_release``), so a user's escrow is always
minus the sum of those entries; this table is its cached total, written in the same transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from horde.queue.store import tables
from horde.queue.store.connection import Connection


@dataclasses.dataclass(frozen=True)
class Owner:
    trusted: bool  #: trusted or staff
    created_at: dt.datetime
    held_milli: int  #: all the escrow
    work_milli: int  #: the part of it held from jobs (uptime earns no trust)


async def owners(conn: Connection, user_ids: Iterable[int]) -> dict[int, Owner]:
    """Each user's trust and escrow."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    users, held = tables.users, tables.trust_escrow
    query = (
        sa.select(
            users.c.id,
            users.c.trusted | users.c.moderator | users.c.admin,
            users.c.created_at,
            sa.func.coalesce(held.c.held_milli, 0),
            sa.func.coalesce(held.c.work_milli, 0),
        )
        .select_from(users.outerjoin(held, held.c.user_id == users.c.id))
        .where(users.c.id.in_(ids))
    )
    found = {}
    for uid, trusted, created, milli, work in (await conn.execute(query)).all():
        found[int(uid)] = Owner(bool(trusted), created, int(milli), int(work))
    return found


async def set_held(conn: Connection, user_id: int, held_milli: int, work_milli: int) -> None:
    """Record a user's escrow totals (one upsert: a row is created on the first hold)."""
    values = {"user_id": user_id, "held_milli": held_milli, "work_milli": work_milli}
    insert: Any = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(tables.trust_escrow)
    statement = insert.values(**values)
    update = {"held_milli": statement.excluded.held_milli, "work_milli": statement.excluded.work_milli}
    await conn.execute(statement.on_conflict_do_update(index_elements=[tables.trust_escrow.c.user_id], set_=update))


async def held(conn: Connection, user_id: int) -> int:
    table = tables.trust_escrow
    value = await conn.scalar(sa.select(table.c.held_milli).where(table.c.user_id == user_id))
    return int(value or 0)


async def trust(conn: Connection, user_id: int) -> None:
    """Set the trusted flag (automatic trust)."""
    await conn.execute(tables.users.update().where(tables.users.c.id == user_id).values(trusted=True))
