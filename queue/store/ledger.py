"""The append-only kudos ledger and the cached balance column, always written together."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa

from horde.queue.domain import kudos as kudos_rules
from horde.queue.domain.roles import ANONYMOUS_USER_ID, AccountKind
from horde.queue.store import driver, tables
from horde.queue.store.connection import Connection


@dataclasses.dataclass(frozen=True)
class Entry:
    """One movement of kudos to (positive) or from (negative) a user."""

    user_id: int
    amount_milli: int
    kind: kudos_rules.EntryKind
    request_id: str | None = None
    job_id: str | None = None
    counterparty_id: int | None = None
    memo: str | None = None


_MOVE = driver.Sql("UPDATE users SET kudos_milli = kudos_milli + $2 WHERE id = $1 RETURNING kudos_milli, kind")


_SET = driver.Sql("UPDATE users SET kudos_milli = $2 WHERE id = $1")


async def append_all(conn: Connection, entries: Sequence[Entry], *, now: dt.datetime) -> dict[int, int]:
    """Append entries, then move the balances (one statement for the entries, one per user), then lift any
    balance below its account's floor back to it, recorded as a floor adjustment. Returns the new balances.

    The anonymous user sits on its floor for good: a charge to it is forgiven in the same breath, so its row is
    never updated (no hot spot, unlike upstream).
    """
    raw = await driver.raw(conn)
    rows = list(entries)
    moves: dict[int, int] = {}
    balances: dict[int, int] = {}
    for entry in entries:
        if entry.user_id == ANONYMOUS_USER_ID and entry.amount_milli <= 0:
            balances[entry.user_id] = kudos_rules.to_milli(kudos_rules.floor_for(AccountKind.ANONYMOUS))
            if entry.amount_milli:
                rows.append(_floor_adjustment(entry, -entry.amount_milli))
        else:
            moves[entry.user_id] = moves.get(entry.user_id, 0) + entry.amount_milli
    await _insert(raw, rows, now)
    lifts: list[Entry] = []
    # one user at a time, in id order: a statement moving several would lock their rows in the order the plan
    # happens to visit them, and two such transactions can deadlock on PostgreSQL
    for user_id, amount in sorted(moves.items()):
        balance, account_kind = await raw.one(_MOVE, user_id, amount)
        floor = kudos_rules.to_milli(kudos_rules.floor_for(AccountKind(account_kind)))
        balances[user_id] = max(floor, int(balance))
        if balance < floor:
            last = next(e for e in reversed(entries) if e.user_id == user_id)
            lifts.append(_floor_adjustment(last, floor - balance))
    if lifts:
        await _insert(raw, lifts, now)
        for lift in lifts:
            await raw.execute(_SET, lift.user_id, balances[lift.user_id])
    return balances


async def _insert(raw: driver.Raw, entries: Sequence[Entry], now: dt.datetime) -> None:
    rows = [
        {
            "user_id": e.user_id,
            "amount_milli": e.amount_milli,
            "kind": e.kind.value,
            "request_id": e.request_id,
            "job_id": e.job_id,
            "counterparty_id": e.counterparty_id,
            "memo": e.memo,
            "created_at": now,
        }
        for e in entries
    ]
    await driver.insert(raw, tables.kudos_ledger, rows)


def _floor_adjustment(entry: Entry, amount_milli: int) -> Entry:
    return dataclasses.replace(entry, amount_milli=amount_milli, kind=kudos_rules.EntryKind.FLOOR_ADJUSTMENT)


async def append(
    conn: Connection,
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
    """One entry (see ``append_all``). Returns the user's new balance."""
    entry = Entry(user_id, amount_milli, kind, request_id, job_id, counterparty_id, memo)
    return (await append_all(conn, [entry], now=now))[user_id]


async def history(
    conn: Connection, user_id: int, *, limit: int = 50, before_id: int | None = None
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


async def sum_for_user(conn: Connection, user_id: int) -> int:
    total = await conn.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(tables.kudos_ledger.c.amount_milli), 0)).where(
            tables.kudos_ledger.c.user_id == user_id
        )
    )
    return int(total or 0)


async def last_transfer_between(conn: Connection, sender: int, receiver: int) -> dt.datetime | None:
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


async def open_account(conn: Connection, *, user_id: int, kind: AccountKind, now: dt.datetime) -> None:
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
