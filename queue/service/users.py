"""Accounts: authentication, registration, bot-linked (pseudonymous) users, moderation of users, kudos."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from horde.queue import dto, errors
from horde.queue.domain import kudos as kudos_rules, roles as roles_mod
from horde.queue.domain.roles import ANONYMOUS_API_KEY, ANONYMOUS_USER_ID, AccountKind, Role
from horde.queue.service import keys, monthly, user_changes
from horde.queue.service.context import Context
from horde.queue.store import (
    admin as admin_store,
    audit,
    ledger,
    monthly as monthly_store,
    users as user_store,
    workers as worker_store,
)
from horde.queue.store.rows import UserRow

if TYPE_CHECKING:  # modes imports this module
    from horde.queue.service.modes import ModeService

logger = logging.getLogger(__name__)

MAX_ID = 2**31 - 1
SYSTEM = dto.Actor(user_id=-1, username="system", roles=roles_mod.preset(Role.ADMIN), kind=AccountKind.REGISTERED)


def user_info(row: UserRow, worker_count: int = 0, *, viewer: dto.Actor | None = None) -> dto.UserInfo:
    """The account as ``viewer`` may see it: contact for the user and moderators, the comment for moderators."""
    sees_private = viewer is not None and (viewer.is_moderator or viewer.user_id == row.id)
    return dto.UserInfo(
        id=row.id,
        username=row.username,
        kind=AccountKind(row.kind),
        roles=roles_mod.from_flags(row),
        kudos=kudos_rules.from_milli(row.kudos_milli),
        suspended=row.suspended,
        concurrency=row.concurrency,
        created_at=row.created_at,
        worker_count=worker_count,
        worker_invited=row.worker_invited,
        deleted=row.deleted_at is not None,
        contact=row.contact if sees_private else None,
        private=sees_private,
        admin_comment=row.admin_comment if viewer is not None and viewer.is_moderator else None,
    )


def actor_from_row(row: UserRow, *, ip: str | None, client_agent: str | None) -> dto.Actor:
    return dto.Actor(
        user_id=row.id,
        username=row.username,
        roles=roles_mod.from_flags(row),
        kind=AccountKind(row.kind),
        ip=ip,
        client_agent=client_agent,
    )


def require_moderator(actor: dto.Actor) -> None:
    """Moderators and admins pass; anyone else gets ``NotModerator``."""
    if not actor.is_moderator:
        raise errors.NotModeratorError


def require_admin(actor: dto.Actor) -> None:
    if not actor.is_admin:
        raise errors.NotAdminError


check_username = user_changes.check_username


class UserService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.modes: ModeService | None = None  #: set by ``HordeService``: registration is refused in raid mode

    # --- identity -------------------------------------------------------------------------------------------

    async def bootstrap(self) -> str | None:
        """Create the anonymous user and the admin on first start. Returns the admin's API key, once."""
        now = self.ctx.clock()
        async with self.ctx.db.write() as conn:
            if await user_store.by_id(conn, ANONYMOUS_USER_ID) is None:
                await user_store.insert(
                    conn,
                    user_id=ANONYMOUS_USER_ID,
                    username="Anonymous",
                    kind=AccountKind.ANONYMOUS.value,
                    api_key_hash=keys.hash_api_key(self.ctx.secret, ANONYMOUS_API_KEY),
                    concurrency=self.ctx.settings.default_concurrency,
                    now=now,
                )
                await ledger.open_account(conn, user_id=ANONYMOUS_USER_ID, kind=AccountKind.ANONYMOUS, now=now)
            if await user_store.by_username(conn, self.ctx.settings.admin_username) is not None:
                return None
        created = await self.create_user(SYSTEM, self.ctx.settings.admin_username, role=Role.ADMIN)
        return created.api_key

    def anonymous(self, *, ip: str | None = None, client_agent: str | None = None) -> dto.Actor:
        return dto.Actor(
            user_id=ANONYMOUS_USER_ID,
            username="Anonymous",
            kind=AccountKind.ANONYMOUS,
            ip=ip,
            client_agent=client_agent,
        )

    async def authenticate(
        self, api_key: str | None, *, ip: str | None = None, client_agent: str | None = None
    ) -> dto.Actor:
        """The actor an API key stands for; no key (or ``0000000000``) is the anonymous user."""
        if not api_key or api_key == ANONYMOUS_API_KEY:
            return self.anonymous(ip=ip, client_agent=client_agent)
        async with self.ctx.db.read() as conn:
            row = await user_store.by_key_hash(conn, keys.hash_api_key(self.ctx.secret, api_key))
        if row is None:
            raise errors.AuthError
        if row.suspended:
            raise errors.SuspendedError
        return actor_from_row(row, ip=ip, client_agent=client_agent)

    async def actor_for(self, user_id: int, *, ip: str | None = None) -> dto.Actor:
        async with self.ctx.db.read() as conn:
            row = await user_store.by_id(conn, user_id)
        if row is None:
            raise errors.UserNotFoundError
        if row.suspended:
            raise errors.SuspendedError
        return actor_from_row(row, ip=ip, client_agent=None)

    async def create_user(
        self,
        actor: dto.Actor,
        username: str,
        *,
        role: Role | None = None,
        roles: Iterable[Role] = (),
        kudos: float = 0.0,
        concurrency: int | None = None,
        kind: AccountKind = AccountKind.REGISTERED,
        external_id: str | None = None,
    ) -> dto.NewUser:
        """Create an account (admins; or anyone registering themselves with the defaults). ``role`` is a
        shorthand (moderator brings trusted, admin brings both); ``roles`` adds any other flags."""
        granted = roles_mod.preset(role) | roles_mod.with_implied(roles)
        if granted or kudos or concurrency is not None:
            require_admin(actor)
        if kudos < 0:
            raise errors.KudosValidationError("Starting kudos cannot be negative.", {"kudos": "must be >= 0"})
        if concurrency is not None and not 1 <= concurrency <= 1000:
            raise errors.ValidationError("Concurrency must be 1 to 1000.", {"concurrency": "1-1000"})
        name = check_username(username)
        api_key = keys.new_api_key()
        now = self.ctx.clock()
        async with self.ctx.db.write() as conn:
            user_id = await user_store.insert(
                conn,
                username=name,
                kind=kind.value,
                roles=[r.value for r in granted],
                api_key_hash=keys.hash_api_key(self.ctx.secret, api_key),
                concurrency=concurrency or self.ctx.settings.default_concurrency,
                external_id=external_id,
                now=now,
            )
            await ledger.open_account(conn, user_id=user_id, kind=kind, now=now)
            if kudos:
                await ledger.append(
                    conn,
                    user_id=user_id,
                    amount_milli=kudos_rules.to_milli(kudos),
                    kind=kudos_rules.EntryKind.ADMIN_GRANT,
                    now=now,
                    memo=f"granted by {actor.username}",
                )
            row = await user_store.by_id(conn, user_id)
        logger.info("user_created", extra={"action": "user_created", "user_id": user_id, "actor": actor.user_id})
        if row is None:  # pragma: no cover - written in this transaction
            raise errors.UserNotFoundError
        return dto.NewUser(user=user_info(row), api_key=api_key)

    async def register(self, actor: dto.Actor, username: str) -> dto.NewUser:
        """Self-service registration: a plain account with the default limits."""
        if self.modes is not None:
            await self.modes.admit_registration()  # refused in raid mode
        return await self.create_user(actor, username)

    async def linked_actor(self, provider: str, external_id: str, display_name: str) -> dto.Actor:
        """The pseudonymous account for a Discord or Mastodon user, created on first use (bots act as it)."""
        link = f"{provider}:{external_id}"
        async with self.ctx.db.read() as conn:
            row = await user_store.by_external_id(conn, link)
        if row is None:
            with contextlib.suppress(errors.AlreadyExistsError):  # a concurrent first use created it
                await self.create_user(SYSTEM, display_name, kind=AccountKind.PSEUDONYMOUS, external_id=link)
            async with self.ctx.db.read() as conn:
                row = await user_store.by_external_id(conn, link)
        if row is None:  # pragma: no cover - created just above
            raise errors.UserNotFoundError
        if row.suspended:
            raise errors.SuspendedError
        return actor_from_row(row, ip=None, client_agent=provider)

    async def reset_api_key(self, actor: dto.Actor) -> str:
        if actor.is_anonymous:
            raise errors.AnonForbiddenError
        api_key = keys.new_api_key()
        async with self.ctx.db.write() as conn:
            await user_store.update(conn, actor.user_id, api_key_hash=keys.hash_api_key(self.ctx.secret, api_key))
        return api_key

    # --- reading --------------------------------------------------------------------------------------------

    async def get(self, actor: dto.Actor, user_id: int) -> dto.UserInfo:
        if not 0 <= user_id <= MAX_ID:  # ids are 32-bit: a larger number names no row (and overflows SQLite)
            raise errors.UserNotFoundError
        async with self.ctx.db.read() as conn:
            row = await user_store.by_id(conn, user_id)
            if row is None:
                raise errors.UserNotFoundError
            count = await worker_store.count_for_owner(conn, user_id)
            suspicion = len(await admin_store.suspicions(conn, user_id=user_id))
            info = dataclasses.replace(user_info(row, count, viewer=actor), suspicion=suspicion)
            [info] = await monthly.shown(conn, self.ctx.settings, [info])
        return info

    async def me(self, actor: dto.Actor) -> dto.UserInfo:
        return await self.get(actor, actor.user_id)

    async def find(self, actor: dto.Actor, name: str) -> dto.UserInfo:
        """Find by ``alias#id`` (AI Horde's convention: only the number after the last ``#`` counts) or by name."""
        _, _, number = name.rpartition("#")
        if number.isascii() and number.isdigit():  # int() refuses some digits isdigit() takes, like '²'
            if len(number) > len(str(MAX_ID)):  # no such user; and int() refuses 4,300 digits
                raise errors.UserNotFoundError
            return await self.get(actor, int(number))
        if "\x00" in name:  # no name holds one (PostgreSQL refuses it in a query)
            raise errors.UserNotFoundError
        async with self.ctx.db.read() as conn:
            row = await user_store.by_username(conn, name)
        if row is None:
            raise errors.UserNotFoundError
        return user_info(row)

    async def listing(self, actor: dto.Actor, *, page: int = 1, sort: str = "kudos") -> list[dto.UserInfo]:
        async with self.ctx.db.read() as conn:
            rows = await user_store.listing(conn, offset=max(0, page - 1) * 25, limit=25, sort=sort)
            return await monthly.shown(conn, self.ctx.settings, [user_info(row) for row in rows])

    # --- changing -------------------------------------------------------------------------------------------

    async def modify(self, actor: dto.Actor, user_id: int, **changes: Any) -> dto.UserInfo:
        """A moderator's change to an account (``user_changes`` holds the rules): role flags, concurrency, name,
        contact; kudos (a ledger entry, with ``kudos_reason``), monthly kudos and the moderator and admin flags are
        for admins.
        Moderators act only on accounts below them. Every change is audited with its before and after."""
        require_moderator(actor)
        now = self.ctx.clock()
        async with self.ctx.db.write() as conn:
            row = await user_store.lock(conn, user_id) if 0 <= user_id <= MAX_ID else None
            if row is None:
                raise errors.UserNotFoundError
            change = user_changes.plan(actor, row, changes, self.ctx.settings.default_concurrency)
            if change.values:
                await user_store.update(conn, user_id, **change.values)
            if change.reset_suspicion:
                await admin_store.clear_suspicion(conn, user_id)
            if change.monthly_kudos is not None:
                before = (await monthly_store.of(conn, [user_id]))[user_id]
                change.monthly_before = kudos_rules.from_milli(before.amount_milli)
                await monthly_store.set_amount(conn, user_id, kudos_rules.to_milli(change.monthly_kudos))
            if change.kudos:
                await ledger.append(
                    conn,
                    user_id=user_id,
                    amount_milli=kudos_rules.to_milli(change.kudos),
                    kind=kudos_rules.EntryKind.ADMIN_GRANT,
                    now=now,
                    memo=f"{actor.display_name}: {change.reason}"[:200],
                )
            after = await user_store.by_id(conn, user_id)
            if after is None:  # pragma: no cover - written in this transaction
                raise errors.UserNotFoundError
            await audit.record(
                conn,
                actor_id=actor.user_id,
                action="user_modified",
                target_type="user",
                target_id=str(user_id),
                details=user_changes.audit_details(row, after, change),
                now=now,
            )
            [info] = await monthly.shown(conn, self.ctx.settings, [user_info(after, viewer=actor)])
        logger.info("user_modified", extra={"action": "user_modified", "user_id": user_id, "actor": actor.user_id})
        return info
