"""Workers: their pops and submits (``pops``, ``submits``), and the management of the worker itself."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from horde.queue import dto, errors
from horde.queue.domain import kudos as kudos_rules, roles as roles_mod
from horde.queue.service import requeue
from horde.queue.service.capacity import Capacity, things_per_second
from horde.queue.service.context import Context
from horde.queue.service.pops import PopService
from horde.queue.service.submits import SubmitService
from horde.queue.service.users import require_moderator
from horde.queue.store import (
    audit,
    users as user_store,
    workers as worker_store,
)
from horde.queue.store.connection import Connection
from horde.queue.store.rows import WorkerRow

logger = logging.getLogger(__name__)


def worker_info(
    row: WorkerRow, stale_after: dt.datetime, trusted: bool, *, shows_paused: bool = True
) -> dto.WorkerInfo:
    """The worker as a viewer sees it; ``paused`` only for moderators (``shows_paused``), as upstream: a paused
    worker is handed decoys and must not learn from the API that it was paused."""
    return dto.WorkerInfo(
        id=row.id,
        name=row.name,
        owner_id=row.owner_id,
        kind=row.kind,
        models=tuple(row.models),
        max_pixels=row.max_pixels,
        nsfw=row.nsfw,
        trusted=trusted,
        maintenance=row.maintenance,
        paused=row.paused and shows_paused,
        online=row.last_check_in >= stale_after,
        threads=row.threads,
        uptime_seconds=int(row.uptime_seconds),
        kudos_earned=kudos_rules.from_milli(row.kudos_earned_milli),
        jobs_done=row.jobs_done,
        things_per_second=round(things_per_second(row), 3),
        info=row.info,
        team_id=row.team_id,
        bridge_agent=row.bridge_agent,
        capabilities=dict(row.capabilities),
    )


class WorkerService:
    def __init__(self, ctx: Context, capacity: Capacity) -> None:
        self.ctx = ctx
        self.capacity = capacity
        self.pops = PopService(ctx, capacity)
        self.submits = SubmitService(ctx)
        self.pop = self.pops.pop
        self.submit = self.submits.submit
        self.upload_result = self.submits.upload_result
        self.result_key = self.submits.result_key
        self.requeue_overdue = self.submits.requeue_overdue

    # --- management -----------------------------------------------------------------------------------------

    async def listing(
        self, actor: dto.Actor | None, *, kind: str | None = None, owner_id: int | None = None
    ) -> list[dto.WorkerInfo]:
        now = self.ctx.clock()
        stale = now - dt.timedelta(seconds=self.ctx.settings.stale_worker_seconds)
        async with self.ctx.db.read() as conn:
            rows = await worker_store.listing(conn, kind=kind, owner_id=owner_id)
            trusted = await self._trusted_owners(conn, {r.owner_id for r in rows})
        shows = actor is not None and actor.is_moderator
        return [worker_info(row, stale, row.owner_id in trusted, shows_paused=shows) for row in rows]

    async def _trusted_owners(self, conn: Connection, owner_ids: set[int]) -> set[int]:
        result = set()
        for owner_id in owner_ids:
            owner = await user_store.by_id(conn, owner_id)
            if owner is not None and roles_mod.is_trusted(roles_mod.from_flags(owner)):
                result.add(owner_id)
        return result

    async def get(self, actor: dto.Actor | None, worker_id: str) -> dto.WorkerInfo:
        stale = self.ctx.clock() - dt.timedelta(seconds=self.ctx.settings.stale_worker_seconds)
        async with self.ctx.db.read() as conn:
            row = await worker_store.by_id(conn, worker_id) or await worker_store.by_name(conn, worker_id)
            if row is None:
                raise errors.WorkerNotFoundError
            trusted = await self._trusted_owners(conn, {row.owner_id})
        return worker_info(row, stale, row.owner_id in trusted, shows_paused=actor is not None and actor.is_moderator)

    async def modify(self, actor: dto.Actor, worker_id: str, **changes: Any) -> dto.WorkerInfo:
        """Owners set maintenance, info, name and team; moderators also pause."""
        allowed = {"maintenance", "maintenance_msg", "info", "name", "team", "paused"}
        if set(changes) - allowed:
            raise errors.ValidationError(f"Cannot change {sorted(set(changes) - allowed)}.")
        now = self.ctx.clock()
        async with self.ctx.db.write() as conn:
            row = await worker_store.by_id(conn, worker_id)
            if row is None:
                raise errors.WorkerNotFoundError
            is_mod = actor.is_moderator
            if row.owner_id != actor.user_id and not is_mod:
                raise errors.NotOwnerError
            if "paused" in changes:
                require_moderator(actor)
            values = _worker_values(changes)
            if "name" in values and await worker_store.by_name(conn, values["name"]) is not None:
                raise errors.NameAlreadyExistsError
            if values:
                await worker_store.update(conn, worker_id, **values)
            if values.get("paused") and not row.paused:
                await requeue.requeue_held(conn, worker_id)  # its jobs go to other workers
            await audit.record(
                conn,
                actor_id=actor.user_id,
                action="worker_modified",
                target_type="worker",
                target_id=worker_id,
                details={"before": {k: getattr(row, k) for k in values}, "after": values},
                now=now,
            )
        self.capacity.invalidate()
        return await self.get(actor, worker_id)

    async def delete(self, actor: dto.Actor, worker_id: str) -> None:
        async with self.ctx.db.write() as conn:
            row = await worker_store.by_id(conn, worker_id)
            if row is None:
                raise errors.WorkerNotFoundError
            if row.owner_id != actor.user_id and not actor.is_moderator:
                raise errors.NotOwnerError
            await worker_store.delete(conn, worker_id)
            await audit.record(
                conn,
                actor_id=actor.user_id,
                action="worker_deleted",
                target_type="worker",
                target_id=worker_id,
                details={"before": {"name": row.name, "owner_id": row.owner_id, "ip": row.ip}, "after": {}},
                now=self.ctx.clock(),
            )
        self.capacity.invalidate()


def _worker_values(changes: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in ("maintenance", "paused"):
        if key in changes:
            values[key] = bool(changes[key])
    for key in ("maintenance_msg", "info"):
        if key in changes:
            values[key] = None if changes[key] is None else str(changes[key])[:1000]
    if "name" in changes:
        name = " ".join(str(changes["name"]).split())
        if not 1 <= len(name) <= 100:
            raise errors.InvalidWorkerNameError
        values["name"] = name
    if "team" in changes:
        values["team_id"] = changes["team"] or None
    return values
