"""Moderating workers: the list with what only moderators see, pausing (its jobs go back to the queue), messages
to the owner (shown on pop and on the owner's account page), and the rest of a worker's moderation."""

from __future__ import annotations

import datetime as dt
import logging

from horde.queue import dto, errors
from horde.queue.service.context import Context
from horde.queue.service.users import require_moderator
from horde.queue.service.workers import WorkerService
from horde.queue.store import (
    admin as admin_store,
    audit,
    users as user_store,
    workers as worker_store,
)
from horde.queue.store.tables import AnyRow

logger = logging.getLogger(__name__)

MESSAGE_HOURS = 12  #: a message's default life, as upstream
MAX_MESSAGE_HOURS = 24 * 30
POP_CACHE_SECONDS = 10.0


def message_info(row: AnyRow) -> dto.WorkerMessage:
    return dto.WorkerMessage(
        row.id, row.worker_id, row.owner_id, row.message, row.origin, row.created_at, row.expires_at
    )


class WorkerModeration:
    def __init__(self, ctx: Context, workers: WorkerService) -> None:
        self.ctx = ctx
        self.workers = workers
        self._pop_cache: dict[tuple[int, str], tuple[dt.datetime, list[dto.WorkerMessage]]] = {}

    async def listing(self, actor: dto.Actor) -> list[dto.WorkerAdminInfo]:
        """Every worker with its owner, address, dropped jobs and suspicion (moderators)."""
        require_moderator(actor)
        infos = await self.workers.listing(actor)
        async with self.ctx.db.read() as conn:
            rows = {w.id: await worker_store.by_id(conn, w.id) for w in infos}
            owners = {w.owner_id: await user_store.by_id(conn, w.owner_id) for w in infos}
            suspicion = await admin_store.suspicion_counts(conn, by="worker_id")
        listed = []
        for info in infos:
            row, owner = rows[info.id], owners[info.owner_id]
            listed.append(
                dto.WorkerAdminInfo(
                    worker=info,
                    owner_name=owner.username if owner else "?",
                    ip=row.ip if row else None,
                    jobs_aborted=row.jobs_aborted if row else 0,
                    suspicion=suspicion.get(info.id, 0),
                    maintenance_msg=row.maintenance_msg if row else None,
                )
            )
        return listed

    async def pause(self, actor: dto.Actor, worker_id: str, *, paused: bool = True) -> dto.WorkerInfo:
        """Pause (moderators): the worker gets no more jobs and those it holds go back to the queue."""
        require_moderator(actor)
        return await self.workers.modify(actor, worker_id, paused=paused)

    async def send_message(
        self,
        actor: dto.Actor,
        worker_id: str,
        message: str,
        *,
        expiry_hours: int = MESSAGE_HOURS,
        origin: str | None = None,
    ) -> dto.WorkerMessage:
        """A message to a worker's owner, shown on every pop and on their account page until it expires.
        Moderators message any worker (and may name the origin); owners only their own."""
        text = message.strip()
        if not 1 <= len(text) <= 1000:
            raise errors.ValidationError("A message has 1 to 1000 characters.", {"message": "1-1000 characters"})
        if not 1 <= expiry_hours <= MAX_MESSAGE_HOURS:
            raise errors.ValidationError("expiry is 1 to 720 hours.", {"expiry": "1-720"})
        now = self.ctx.clock()
        async with self.ctx.db.write() as conn:
            row = await worker_store.by_id(conn, worker_id)
            if row is None:
                raise errors.WorkerNotFoundError
            if row.owner_id != actor.user_id and not actor.is_moderator:
                raise errors.NotOwnerError
            values = {
                "worker_id": worker_id,
                "owner_id": row.owner_id,
                "message": text,
                "origin": (origin or "")[:100] if actor.is_moderator and origin else actor.display_name,
                "created_by": actor.user_id,
                "created_at": now,
                "expires_at": now + dt.timedelta(hours=expiry_hours),
            }
            message_id = await admin_store.add_message(conn, values)
            await audit.record(
                conn,
                actor_id=actor.user_id,
                action="worker_messaged",
                target_type="worker",
                target_id=worker_id,
                details={"before": {}, "after": {"message": text, "expires_at": values["expires_at"]}},
                now=now,
            )
            saved = await admin_store.message_by_id(conn, message_id)
        if saved is None:  # pragma: no cover - written in this transaction
            raise errors.MessageNotFoundError
        self._pop_cache.clear()  # this node tells the worker at once; others within POP_CACHE_SECONDS
        return message_info(saved)

    async def messages(
        self,
        actor: dto.Actor,
        *,
        worker_id: str | None = None,
        user_id: int | None = None,
        validity: str = "active",
    ) -> list[dto.WorkerMessage]:
        """Messages, newest first: a moderator's choice of any, or the caller's own workers' messages."""
        if actor.is_anonymous:
            raise errors.AnonForbiddenError
        if not actor.is_moderator:
            user_id = actor.user_id
        now = self.ctx.clock()
        async with self.ctx.db.read() as conn:
            rows = await admin_store.messages(
                conn,
                worker_id=worker_id,
                owner_id=user_id,
                active_at=now if validity == "active" else None,
                expired_at=now if validity == "expired" else None,
            )
        return [message_info(r) for r in rows]

    async def pop_messages(self, actor: dto.Actor, worker_name: str) -> list[dto.WorkerMessage]:
        """The active messages of the caller's worker ``worker_name``, for its pop (read at most every
        ``POP_CACHE_SECONDS`` per worker and node, so a pop costs no query most of the time)."""
        now = self.ctx.clock()
        key = (actor.user_id, worker_name)
        cached = self._pop_cache.get(key)
        if cached and (now - cached[0]).total_seconds() < POP_CACHE_SECONDS:
            return cached[1]
        async with self.ctx.db.read() as conn:
            row = await worker_store.by_name(conn, worker_name)
            found = (
                await admin_store.messages(conn, worker_id=row.id, active_at=now, limit=10)
                if row is not None and row.owner_id == actor.user_id
                else []
            )
        if len(self._pop_cache) > 10_000:
            self._pop_cache.clear()
        self._pop_cache[key] = (now, [message_info(r) for r in found])
        return self._pop_cache[key][1]

    async def active_for_worker(self, worker_id: str) -> list[dto.WorkerMessage]:
        """What a worker is told on pop (the worker has already been authenticated as its owner)."""
        async with self.ctx.db.read() as conn:
            rows = await admin_store.messages(conn, worker_id=worker_id, active_at=self.ctx.clock(), limit=10)
        return [message_info(r) for r in rows]

    async def delete_message(self, actor: dto.Actor, message_id: int) -> None:
        async with self.ctx.db.write() as conn:
            row = await admin_store.message_by_id(conn, message_id)
            if row is None or (row.owner_id != actor.user_id and not actor.is_moderator):
                raise errors.MessageNotFoundError
            await admin_store.delete_message(conn, message_id)
            await audit.record(
                conn,
                actor_id=actor.user_id,
                action="message_deleted",
                target_type="worker",
                target_id=row.worker_id,
                details={"before": {"message": row.message}, "after": {}},
                now=self.ctx.clock(),
            )
        self._pop_cache.clear()
