"""The horde's modes and news: maintenance (admins), invite-only workers and raid mode (moderators), a site banner,
news items. Stored in the database; each process keeps what it read for at most ``MAX_AGE_SECONDS``, so a change
made through any node holds on every node within that time, without a restart (and at once on the node that made
it). News is read afresh each time; a worker's first pop reads invite-only mode from the database itself."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from horde.queue import dto, errors
from horde.queue.service import ip_blocks
from horde.queue.service.context import Context
from horde.queue.service.single_flight import Kept, SingleFlight, kept_or_read
from horde.queue.service.users import require_admin, require_moderator
from horde.queue.store import admin as admin_store, audit, moderation as mod_store, users as user_store
from horde.queue.store.connection import Connection

MAX_AGE_SECONDS = 2.0  #: the oldest reading of the modes a process acts on
IMPORTANCE = ("information", "warning", "critical")


@dataclasses.dataclass(frozen=True)
class HordeModes:
    maintenance: bool = False  #: new requests are refused; workers finish what they hold
    invite_only: bool = False  #: new workers only for accounts with a worker invite (or trusted)
    raid: bool = False  #: registration and anonymous requests are refused
    banner: str = ""  #: a line shown on every page


@dataclasses.dataclass(frozen=True)
class NewsItem:
    id: int
    title: str
    body: str
    importance: str
    created_at: dt.datetime


def _modes(stored: dict[str, Any]) -> HordeModes:
    return HordeModes(
        maintenance=bool(stored.get("maintenance", False)),
        invite_only=bool(stored.get("invite_only", False)),
        raid=bool(stored.get("raid", False)),
        banner=str(stored.get("banner") or ""),
    )


async def admit_new_worker(conn: Connection, actor: dto.Actor, now: dt.datetime) -> None:
    """A worker's first pop, in the pop's transaction: refused from a blocked address; in invite-only mode, an
    untrusted owner spends one worker invite, or is refused."""
    if actor.ip and await mod_store.timeout_for(conn, ip_blocks.networks_holding(actor.ip), now) is not None:
        raise errors.TimeoutIPError("This worker's IP address is blocked.")
    if actor.is_trusted or not bool((await admin_store.modes(conn)).get("invite_only")):
        return
    owner = await user_store.lock(conn, actor.user_id)
    if owner is None or owner.worker_invited <= 0:
        raise errors.WorkerInviteOnlyError
    await user_store.update(conn, actor.user_id, worker_invited=owner.worker_invited - 1)


class ModeService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._kept: Kept[HordeModes] | None = None
        self._flight: SingleFlight[Kept[HordeModes]] = SingleFlight()

    async def current(self) -> HordeModes:
        """The modes as this process last read them: at most ``MAX_AGE_SECONDS`` old."""
        now = self.ctx.clock().timestamp()
        return (await kept_or_read(self._flight, "modes", self._kept, now, lambda: self._read(now))).value

    async def _read(self, now: float) -> Kept[HordeModes]:
        async with self.ctx.db.read() as conn:
            modes = _modes(await admin_store.modes(conn))
        self._kept = Kept(modes, now, MAX_AGE_SECONDS)
        return self._kept

    async def change(
        self,
        actor: dto.Actor,
        *,
        maintenance: bool | None = None,
        invite_only: bool | None = None,
        raid: bool | None = None,
        banner: str | None = None,
    ) -> HordeModes:
        """Maintenance: admins. Invite-only, raid mode and the banner: moderators. Each change is audited."""
        require_moderator(actor)
        if maintenance is not None:
            require_admin(actor)
        wanted: dict[str, Any] = {"maintenance": maintenance, "invite_only": invite_only, "raid": raid}
        wanted = {name: value for name, value in wanted.items() if value is not None}
        if banner is not None:
            wanted["banner"] = " ".join(banner.split())[:300]
        now = self.ctx.clock()
        async with self.ctx.db.write() as conn:
            before = dataclasses.asdict(_modes(await admin_store.modes(conn)))
            for name, value in wanted.items():
                if before[name] == value:
                    continue
                await admin_store.set_mode(conn, name, value, by=actor.user_id, now=now)
                await audit.record(
                    conn,
                    actor_id=actor.user_id,
                    action="mode_changed",
                    target_type="mode",
                    target_id=name,
                    details={"before": {name: before[name]}, "after": {name: value}},
                    now=now,
                )
            modes = _modes(await admin_store.modes(conn))
        self._kept = Kept(modes, now.timestamp(), MAX_AGE_SECONDS)
        return modes

    async def admit_request(self, actor: dto.Actor) -> None:
        """Refuse every new request in maintenance, and an anonymous one in raid mode."""
        modes = await self.current()
        if modes.maintenance:
            raise errors.MaintenanceModeError
        if modes.raid and actor.is_anonymous:
            raise errors.RaidModeError

    async def admit_registration(self) -> None:
        if (await self.current()).raid:
            raise errors.RaidModeError

    # --- news -----------------------------------------------------------------------------------------------

    async def news(self, limit: int = 20) -> list[NewsItem]:
        async with self.ctx.db.read() as conn:
            rows = await admin_store.news(conn, limit)
        return [NewsItem(r.id, r.title, r.body, r.importance, r.created_at) for r in rows]

    async def add_news(self, actor: dto.Actor, title: str, body: str, importance: str = "information") -> NewsItem:
        require_moderator(actor)
        title, body = " ".join(title.split()), body.strip()
        if not 1 <= len(title) <= 200 or not 1 <= len(body) <= 5000:
            raise errors.ValidationError("News needs a title (to 200 characters) and a body (to 5000).")
        if importance not in IMPORTANCE:
            raise errors.ValidationError(f"importance is one of {', '.join(IMPORTANCE)}.", {"importance": "unknown"})
        now = self.ctx.clock()
        values = {"title": title, "body": body, "importance": importance}
        async with self.ctx.db.write() as conn:
            news_id = await admin_store.add_news(conn, {**values, "created_by": actor.user_id, "created_at": now})
            await audit.record(
                conn,
                actor_id=actor.user_id,
                action="news_added",
                target_type="news",
                target_id=str(news_id),
                details={"before": {}, "after": values},
                now=now,
            )
        return NewsItem(news_id, title, body, importance, now)

    async def delete_news(self, actor: dto.Actor, news_id: int) -> None:
        require_moderator(actor)
        async with self.ctx.db.write() as conn:
            if not await admin_store.delete_news(conn, news_id):
                raise errors.NewsNotFoundError
            await audit.record(
                conn,
                actor_id=actor.user_id,
                action="news_deleted",
                target_type="news",
                target_id=str(news_id),
                details={"before": {"id": news_id}, "after": {}},
                now=self.ctx.clock(),
            )
