"""Monthly kudos (reference §2.5): each month an account receives what an admin set for it
(``PUT /v2/users/{id}`` ``monthly_kudos``), and moderators and admins also ``HORDE_MODERATOR_MONTHLY_KUDOS``.
The sweep pays them (``pay_due``), recorded in the ledger as ``recurring``; rules in ``domain.monthly``.

Exactly once a month, however many nodes sweep: the accounts' rows are locked in id order before anything is read
for them, and the payment's date is recorded with a guarded upsert that only moves it forward
(``store.monthly.record_payment``): a second payer of the same month finds it recorded and pays nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

from horde.queue import dto
from horde.queue.domain import kudos as kudos_rules, monthly as rules, roles as roles_mod
from horde.queue.service.context import Context
from horde.queue.settings import CoreSettings
from horde.queue.store import escrow as escrow_store, ledger, monthly as monthly_store, users as user_store
from horde.queue.store.connection import Connection

logger = logging.getLogger(__name__)

CHECK_EVERY = dt.timedelta(hours=1)  #: how often a sweeping node looks for payments due (upstream: hourly)


class MonthlyKudos:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._checked: dt.datetime | None = None

    async def pay_due_hourly(self) -> int:
        """``pay_due`` at most once an hour in this process (the sweep calls this every round)."""
        now = self.ctx.clock()
        if self._checked is not None and now - self._checked < CHECK_EVERY:
            return 0
        self._checked = now
        return await self.pay_due()

    async def pay_due(self) -> int:
        """Pay every account whose month has come. Returns how many were paid."""
        now = self.ctx.clock()
        grant = kudos_rules.to_milli(self.ctx.settings.moderator_monthly_kudos)
        async with self.ctx.db.read() as conn:
            candidates = await monthly_store.maybe_due(
                conn, received_before=now - rules.MIN_MONTH, moderators=grant > 0
            )
        paid = 0
        for start in range(0, len(candidates), 100):  # a short transaction per hundred accounts
            paid += await self._pay(candidates[start : start + 100], grant, now)
        return paid

    async def _pay(self, user_ids: list[int], grant: int, now: dt.datetime) -> int:
        entries: list[ledger.Entry] = []
        async with self.ctx.db.write() as conn:
            people = await user_store.lock_all(conn, user_ids)  # users before monthly rows, as a change of amount
            grants = await monthly_store.of(conn, people)
            for user_id, row in people.items():
                got = grants[user_id]
                moderator = roles_mod.is_moderator(roles_mod.from_flags(row))
                amount = rules.amount_milli(got.amount_milli, moderator=moderator, moderator_grant_milli=grant)
                if row.suspended or row.deleted_at is not None or amount <= 0:
                    continue
                if not rules.is_due(got.last_received, now):
                    continue
                dated = rules.received_at(got.last_received, now)
                if await monthly_store.record_payment(conn, user_id, received_at=dated, amount_milli=amount):
                    entries.append(ledger.Entry(user_id, amount, kudos_rules.EntryKind.RECURRING, memo="monthly kudos"))
            if entries:
                await ledger.append_all(conn, entries, now=now)
        for entry in entries:
            logger.info(
                "monthly_kudos_paid",
                extra={"action": "monthly_kudos_paid", "user_id": entry.user_id, "kudos": entry.amount_milli / 1000},
            )
        return len(entries)


async def shown(conn: Connection, settings: CoreSettings, infos: list[dto.UserInfo]) -> list[dto.UserInfo]:
    """``infos`` with the monthly kudos each account ever received and, where the viewer may see them (the user
    and moderators: ``private``), what it receives a month and what trust escrow holds for it."""
    rows = await monthly_store.of(conn, [info.id for info in infos])
    grant = kudos_rules.to_milli(settings.moderator_monthly_kudos)
    out = []
    for info in infos:
        row = rows[info.id]
        extra: dict[str, Any] = {"recurring": kudos_rules.from_milli(row.received_milli)}
        if info.private:
            amount = rules.amount_milli(row.amount_milli, moderator=info.moderator, moderator_grant_milli=grant)
            extra |= {"monthly_kudos": kudos_rules.from_milli(amount), "monthly_received_at": row.last_received}
            extra["evaluating_kudos"] = kudos_rules.from_milli(await escrow_store.held(conn, info.id))
        out.append(dataclasses.replace(info, **extra))
    return out
