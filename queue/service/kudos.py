"""Kudos as a user sees them: the ledger of where they came from and went, and transfers between users."""

from __future__ import annotations

import datetime as dt
import logging

from horde.queue import dto, errors
from horde.queue.domain import kudos as kudos_rules
from horde.queue.domain.roles import AccountKind
from horde.queue.service.context import Context
from horde.queue.service.users import UserService, require_moderator
from horde.queue.store import ledger, requests as request_store, users as user_store

logger = logging.getLogger(__name__)

TRANSFER_COOLDOWN = dt.timedelta(seconds=60)  #: before kudos may go back to who sent them


class KudosService:
    def __init__(self, ctx: Context, users: UserService) -> None:
        self.ctx = ctx
        self.users = users

    async def history(
        self, actor: dto.Actor, user_id: int | None = None, *, limit: int = 50, before_id: int | None = None
    ) -> list[dto.KudosEntryInfo]:
        """A user's ledger, newest first (another user's: moderators only)."""
        target = actor.user_id if user_id is None else user_id
        if target != actor.user_id:
            require_moderator(actor)
        async with self.ctx.db.read() as conn:
            rows = await ledger.history(conn, target, limit=min(limit, 500), before_id=before_id)
        return [
            dto.KudosEntryInfo(
                id=row.id,
                amount=kudos_rules.from_milli(row.amount_milli),
                kind=row.kind,
                created_at=row.created_at,
                request_id=row.request_id,
                counterparty_id=row.counterparty_id,
                memo=row.memo,
            )
            for row in rows
        ]

    async def transfer(self, actor: dto.Actor, to: str, amount: float) -> dto.TransferResult:
        """Send kudos to another user (by ``alias#id`` or name)."""
        if actor.is_anonymous:
            raise errors.KudosTransferFromAnonError
        milli = kudos_rules.transfer_milli(amount)
        target = await self.users.find(actor, to)
        if target.id == actor.user_id:
            raise errors.KudosTransferToSelfError
        if target.kind is AccountKind.ANONYMOUS:
            raise errors.KudosTransferToAnonError
        now = self.ctx.clock()
        async with self.ctx.db.write() as conn:
            locked = await user_store.lock_all(conn, [actor.user_id, target.id])  # the balance check holds
            sender, receiver = locked.get(actor.user_id), locked.get(target.id)
            if sender is None or receiver is None:
                raise errors.UserNotFoundError
            if sender.flagged or sender.suspended or receiver.flagged or receiver.suspended:
                raise errors.FaultWhenKudosSendingError
            last_back = await ledger.last_transfer_between(conn, receiver.id, sender.id)
            if last_back is not None and now - last_back < TRANSFER_COOLDOWN:
                raise errors.TooFastKudosTransfersError
            reserved = await request_store.reserved_milli(conn, sender.id)
            available = kudos_rules.spare_milli(sender.kudos_milli, AccountKind(sender.kind), reserved)
            if milli > available:
                raise errors.KudosTransferNotEnoughError(
                    f"You can send at most {kudos_rules.from_milli(max(0, available)):g} kudos."
                )
            balance = await ledger.append(
                conn,
                user_id=sender.id,
                amount_milli=-milli,
                kind=kudos_rules.EntryKind.TRANSFER_OUT,
                counterparty_id=receiver.id,
                now=now,
            )
            await ledger.append(
                conn,
                user_id=receiver.id,
                amount_milli=milli,
                kind=kudos_rules.EntryKind.TRANSFER_IN,
                counterparty_id=sender.id,
                now=now,
            )
        logger.info("kudos_transferred", extra={"action": "kudos_transferred", "actor": actor.user_id, "to": target.id})
        return dto.TransferResult(amount=kudos_rules.from_milli(milli), sender_balance=kudos_rules.from_milli(balance))
