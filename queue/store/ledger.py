"""The append-only kudos ledger and the cached balance column, always written together."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from horde.queue.domain import kudos as kudos_rules
from horde.queue.domain.roles import ANONYMOUS_USER_ID, AccountKind
from horde.queue.store import driver, tables

_INSERT = driver.Sql(
    "INSERT INTO kudos_ledger (user_id, amount_milli, kind, request_id, job_id, counterparty_id, memo, created_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
)
_MOVE = driver.Sql("UPDATE users SET kudos_milli = kudos_milli + $2 WHERE id = $1 RETURNING kudos_milli, kind")
_SET = driver.Sql("UPDATE users SET kudos_milli = $2 WHERE id = $1")


async def append(
    conn: AsyncConnection,
    *,
    user_id: int,
    amount_milli: int,
    kind: kudos_rules.EntryKind,
    now: dt.datetime,
    request_id: str | None = None,
    job_id: str | None = None,
    counterparty_id: int | None = None,
    memo: str | None = None,
) -> int:
    """Append one entry, move the balance, and lift it back to the account's floor. Returns the new balance.

    The anonymous user sits on its floor for good: a charge to it is forgiven in the same breath, so its row is
    never updated (no hot spot, unlike upstream).
    """
    raw = await driver.raw(conn)
    at = raw.time(now)
    await raw.execute(_INSERT, user_id, amount_milli, kind.value, request_id, job_id, counterparty_id, memo, at)
    if user_id == ANONYMOUS_USER_ID and amount_milli <= 0:
        if amount_milli:
            floor_kind = kudos_rules.EntryKind.FLOOR_ADJUSTMENT.value
            await raw.execute(
                _INSERT, user_id, -amount_milli, floor_kind, request_id, job_id, counterparty_id, memo, at
            )
        return kudos_rules.to_milli(kudos_rules.floor_for(AccountKind.ANONYMOUS))
    balance, account_kind = await raw.one(_MOVE, user_id, amount_milli)
    floor = kudos_rules.to_milli(kudos_rules.floor_for(AccountKind(account_kind)))
    if balance >= floor:
        return int(balance)
    lift = floor - balance
    floor_kind = kudos_rules.EntryKind.FLOOR_ADJUSTMENT.value
    await raw.execute(_INSERT, user_id, lift, floor_kind, request_id, job_id, counterparty_id, memo, at)
    await raw.execute(_SET, user_id, floor)
    return floor


async def history(
    conn: AsyncConnection, user_id: int, *, limit: int = 50, before_id: int | None = None
) -> list[tables.AnyRow]:
    query = (
        sa.select(tables.kudos_ledger)
        .where(tables.kudos_ledger.c.user_id == user_id)
        .order_by(tables.kudos_ledger.c.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(tables.kudos_ledger.c.id < before_id)
    return list((await conn.execute(query)).all())


async def sum_for_user(conn: AsyncConnection, user_id: int) -> int:
    total = await conn.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(tables.kudos_ledger.c.amount_milli), 0)).where(
            tables.kudos_ledger.c.user_id == user_id
        )
    )
    return int(total or 0)


async def last_transfer_between(conn: AsyncConnection, sender: int, receiver: int) -> dt.datetime | None:
    """When ``sender`` last sent kudos to ``receiver``."""
    result = await conn.scalar(
        sa.select(sa.func.max(tables.kudos_ledger.c.created_at)).where(
            tables.kudos_ledger.c.user_id == sender,
            tables.kudos_ledger.c.counterparty_id == receiver,
            tables.kudos_ledger.c.kind == kudos_rules.EntryKind.TRANSFER_OUT.value,
        )
    )
    if result is None:
        return None
    return tables.UtcDateTime().process_result_value(result, conn.dialect)


async def open_account(conn: AsyncConnection, *, user_id: int, kind: AccountKind, now: dt.datetime) -> None:
    """Start a new account on its floor (25 registered, 14 pseudonymous, −50 anonymous), recorded in the ledger."""
    floor = kudos_rules.to_milli(kudos_rules.floor_for(kind))
    await conn.execute(
        tables.kudos_ledger.insert().values(
            user_id=user_id,
            amount_milli=floor,
            kind=kudos_rules.EntryKind.FLOOR_ADJUSTMENT.value,
            memo="opening balance",
            created_at=now,
        )
    )
    await conn.execute(tables.users.update().where(tables.users.c.id == user_id).values(kudos_milli=floor))
