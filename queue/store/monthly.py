"""Monthly kudos (``monthly_kudos``): what an admin set each account to receive a month, and when it last was.

A payment is recorded with a guarded upsert (``record_payment``): it moves ``last_received`` forward only from
an earlier value, so two nodes paying the same month at once record it once, and only the one that recorded it
writes the ledger entry.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from horde.queue.domain.roles import AccountKind
from horde.queue.store import tables  # before the economy's tables, which it imports at its end
from horde.queue.store.connection import Connection
from horde.queue.store.economy_tables import monthly_kudos


@dataclasses.dataclass(frozen=True)
class Monthly:
    amount_milli: int  #: what an admin set (the moderators' grant is not included)
    last_received: dt.datetime | None
    received_milli: int  #: all ever paid


NONE = Monthly(0, None, 0)


def _insert(conn: Connection) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(monthly_kudos)


async def of(conn: Connection, user_ids: Iterable[int]) -> dict[int, Monthly]:
    """Each account's row (an account without one has ``NONE``)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    m = monthly_kudos
    rows = await conn.execute(
        sa.select(m.c.user_id, m.c.amount_milli, m.c.last_received, m.c.received_milli).where(m.c.user_id.in_(ids))
    )
    found = dict.fromkeys(ids, NONE)
    for uid, amount, last, received in rows.all():
        found[int(uid)] = Monthly(int(amount), last, int(received))
    return found


async def set_amount(conn: Connection, user_id: int, amount_milli: int) -> None:
    """Set what an account receives each month (its payment history stays)."""
    statement = _insert(conn).values(user_id=user_id, amount_milli=amount_milli, last_received=None, received_milli=0)
    await conn.execute(
        statement.on_conflict_do_update(index_elements=[monthly_kudos.c.user_id], set_={"amount_milli": amount_milli})
    )


async def maybe_due(conn: Connection, *, received_before: dt.datetime, moderators: bool) -> list[int]:
    """Accounts whose monthly payment may be due: an amount set or (with ``moderators``) a moderator's or admin's
    account, never paid or last paid before ``received_before``; not deleted, suspended or anonymous. In id
    order."""
    users, m = tables.users, monthly_kudos
    entitled = m.c.amount_milli > 0
    if moderators:
        entitled = entitled | users.c.moderator | users.c.admin
    query = (
        sa.select(users.c.id)
        .select_from(users.outerjoin(m, m.c.user_id == users.c.id))
        .where(
            entitled,
            sa.or_(m.c.last_received.is_(None), m.c.last_received < received_before),
            users.c.deleted_at.is_(None),
            sa.not_(users.c.suspended),
            users.c.kind != AccountKind.ANONYMOUS.value,
        )
        .order_by(users.c.id)
    )
    return [int(uid) for uid in (await conn.execute(query)).scalars().all()]


async def record_payment(conn: Connection, user_id: int, *, received_at: dt.datetime, amount_milli: int) -> bool:
    """Record a payment dated ``received_at``, unless one as late is recorded already (another node paid this
    month first). True when this call recorded it: then, and only then, the caller pays."""
    m = monthly_kudos
    statement = _insert(conn).values(
        user_id=user_id, amount_milli=0, last_received=received_at, received_milli=amount_milli
    )
    statement = statement.on_conflict_do_update(
        index_elements=[m.c.user_id],
        set_={"last_received": received_at, "received_milli": m.c.received_milli + amount_milli},
        where=sa.or_(m.c.last_received.is_(None), m.c.last_received < received_at),
    ).returning(m.c.user_id)
    return (await conn.execute(statement)).first() is not None
