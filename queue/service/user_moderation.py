"""Moderating accounts: find them, see everything about one (a dossier), soft-delete and undelete.

Changing an account's flags, limits and kudos is ``UserService.modify`` (rules in ``user_changes``).
"""

from __future__ import annotations

import logging

from horde.queue import dto, errors
from horde.queue.domain import roles as roles_mod
from horde.queue.service.audit_log import AuditLog
from horde.queue.service.context import Context
from horde.queue.service.kudos import KudosService
from horde.queue.service.requests import RequestService
from horde.queue.service.sharedkeys import SharedKeyService
from horde.queue.service.users import MAX_ID, UserService, require_moderator, user_info
from horde.queue.service.workers import WorkerService
from horde.queue.store import admin as admin_store, audit, users as user_store
from horde.queue.store.tables import AnyRow

logger = logging.getLogger(__name__)


def request_summary(row: AnyRow) -> dto.RequestSummary:
    return dto.RequestSummary(
        id=row.id,
        kind=row.kind,
        user_id=row.user_id,
        username=row.username,
        prompt=row.prompt,
        models=tuple(row.models or ()),
        n=row.n,
        state=row.state,
        priority=row.priority,
        ip=row.ip,
        created_at=row.created_at,
        queued=int(row.queued or 0),
    )


class UserModeration:
    def __init__(
        self,
        ctx: Context,
        users: UserService,
        kudos: KudosService,
        sharedkeys: SharedKeyService,
        workers: WorkerService,
        audit_log: AuditLog,
        requests: RequestService,
    ) -> None:
        self.ctx = ctx
        self.users = users
        self.kudos = kudos
        self.sharedkeys = sharedkeys
        self.workers = workers
        self.audit_log = audit_log
        self.requests = requests

    async def search(self, actor: dto.Actor, query: str) -> list[dto.UserInfo]:
        """Accounts by id, ``alias#id`` or a part of the name (moderators)."""
        require_moderator(actor)
        text = query.strip()
        if not text:
            return []
        _, _, number = text.rpartition("#")
        if number.isascii() and number.isdigit():
            try:
                return [await self.users.get(actor, int(number))] if len(number) <= len(str(MAX_ID)) else []
            except errors.UserNotFoundError:
                return []
        async with self.ctx.db.read() as conn:
            rows = await admin_store.users_named_like(conn, text)
        return [user_info(row, viewer=actor) for row in rows]

    async def dossier(self, actor: dto.Actor, user_id: int) -> dto.UserDossier:
        """The account with its ledger, requests, workers, addresses, shared keys, suspicion and audit entries."""
        require_moderator(actor)
        user = await self.users.get(actor, user_id)
        async with self.ctx.db.read() as conn:
            requests = [request_summary(r) for r in await admin_store.requests_of(conn, user_id)]
            ips = await admin_store.ips_of(conn, user_id)
            suspicions = [
                dto.SuspicionInfo(r.reason, r.detail, r.worker_id, r.created_at)
                for r in await admin_store.suspicions(conn, user_id=user_id)
            ]
        return dto.UserDossier(
            user=user,
            ledger=tuple(await self.kudos.history(actor, user_id, limit=50)),
            requests=tuple(requests),
            workers=tuple(await self.workers.listing(actor, owner_id=user_id)),
            ips=tuple(ips),
            shared_keys=tuple(await self.sharedkeys.for_user(user_id)),
            suspicions=tuple(suspicions),
            audit=tuple(await self.audit_log.about(actor, "user", str(user_id))),
        )

    async def waiting(self, actor: dto.Actor) -> list[dto.RequestSummary]:
        """The live queue: waiting requests, highest priority first, with requester and IP (moderators)."""
        require_moderator(actor)
        async with self.ctx.db.read() as conn:
            return [request_summary(r) for r in await admin_store.waiting(conn)]

    async def cancel_request(self, actor: dto.Actor, request_id: str) -> dto.RequestStatus:
        """A moderator stops someone's request: its queued jobs are dropped (and so never charged), the results
        made so far are kept. Audited."""
        require_moderator(actor)
        before = await self.requests.cancel(actor, request_id)
        async with self.ctx.db.write() as conn:
            await audit.record(
                conn,
                actor_id=actor.user_id,
                action="request_cancelled",
                target_type="request",
                target_id=request_id,
                details={"before": {"state": before.state, "user_id": before.user_id}, "after": {"state": "cancelled"}},
                now=self.ctx.clock(),
            )
        return before

    async def delete(self, actor: dto.Actor, user_id: int) -> dto.UserInfo:
        """Soft-delete an account (the user themself, or a moderator below it): it can no longer log in or use
        its key, and an undelete brings it back as it was. Moderators' accounts cannot be deleted."""
        return await self._set_deleted(actor, user_id, deleted=True)

    async def undelete(self, actor: dto.Actor, user_id: int) -> dto.UserInfo:
        require_moderator(actor)
        return await self._set_deleted(actor, user_id, deleted=False)

    async def _set_deleted(self, actor: dto.Actor, user_id: int, *, deleted: bool) -> dto.UserInfo:
        if actor.is_anonymous or user_id == roles_mod.ANONYMOUS_USER_ID:
            raise errors.AnonForbiddenError
        now = self.ctx.clock()
        async with self.ctx.db.write() as conn:
            row = await user_store.lock(conn, user_id) if 0 < user_id <= MAX_ID else None
            if row is None:
                raise errors.UserNotFoundError
            target = roles_mod.from_flags(row)
            if roles_mod.is_moderator(target):
                raise errors.NotAdminError("Moderators' and admins' accounts cannot be deleted.")
            if actor.user_id != user_id and not roles_mod.can_act_on(actor.roles, target):
                raise errors.NotModeratorError
            values = {"deleted_at": now if deleted else None, "suspended": deleted}
            await user_store.update(conn, user_id, **values)
            await audit.record(
                conn,
                actor_id=actor.user_id,
                action="user_deleted" if deleted else "user_undeleted",
                target_type="user",
                target_id=str(user_id),
                details={"before": {"deleted": row.deleted_at is not None}, "after": {"deleted": deleted}},
                now=now,
            )
            after = await user_store.by_id(conn, user_id)
        if after is None:  # pragma: no cover - written in this transaction
            raise errors.UserNotFoundError
        logger.info(
            "user_deleted", extra={"action": "user_deleted" if deleted else "user_undeleted", "user_id": user_id}
        )
        return user_info(after, viewer=actor)
