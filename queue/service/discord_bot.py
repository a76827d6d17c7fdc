"""The Discord bot's rules: who a Discord user acts as, each guild's settings, and kudos gifts.

The bot maps an interaction to one of these calls; every decision (NSFW only in age-restricted channels, a guild's
blocked words and rate limits, anonymous use, linked keys, gifts that wait a week) is made here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

from horde.queue import dto, errors
from horde.queue.domain import kudos as kudos_rules, words
from horde.queue.domain.jobs import GenerationKind
from horde.queue.domain.roles import AccountKind
from horde.queue.service import sealing
from horde.queue.service.asks import GenerationAsk
from horde.queue.service.context import Context
from horde.queue.service.kudos import KudosService
from horde.queue.service.requests import RequestService
from horde.queue.service.users import UserService
from horde.queue.store import discord_state as store, users as user_store

logger = logging.getLogger(__name__)

PROVIDER = "discord"
SEAL_PURPOSE = "discord-linked-api-key"
GIFT_WAIT = dt.timedelta(days=7)
DIRECT_MESSAGES = "dm"  #: the "guild" of commands used outside any guild
MAX_BLOCKED_WORDS = 200


@dataclasses.dataclass(frozen=True)
class GuildSettings:
    guild_id: str
    blocked_words: tuple[str, ...] = ()
    rate_limit_count: int = 0  #: generations per window; 0: no limit of the guild's own
    rate_limit_seconds: int = 60
    default_model: str | None = None
    default_style: str | None = None
    allow_anonymous: bool = True  #: whether people who never ran /login may generate


@dataclasses.dataclass(frozen=True)
class GiftResult:
    amount: float
    delivered: bool  #: False: waits up to a week for the recipient to use the bot
    recipient: str | None  #: ``alias#id`` once delivered


def _clean_words(words: Any) -> tuple[str, ...]:
    cleaned = tuple(dict.fromkeys(w.strip() for w in words if isinstance(w, str) and w.strip()))
    if len(cleaned) > MAX_BLOCKED_WORDS or any(len(w) > 100 for w in cleaned):
        raise errors.ValidationError(
            f"At most {MAX_BLOCKED_WORDS} blocked words of up to 100 characters.", {"blocked_words": "too many"}
        )
    return cleaned


def _optional(value: str | None) -> str | None:
    return (value.strip()[:100] or None) if value is not None else None


def _guild(row: store.GuildRow | None, guild_id: str) -> GuildSettings:
    if row is None:
        return GuildSettings(guild_id=guild_id)
    return GuildSettings(
        guild_id=row.guild_id,
        blocked_words=tuple(row.blocked_words),
        rate_limit_count=row.rate_limit_count,
        rate_limit_seconds=row.rate_limit_seconds,
        default_model=row.default_model,
        default_style=row.default_style,
        allow_anonymous=row.allow_anonymous,
    )


class DiscordService:
    def __init__(self, ctx: Context, users: UserService, kudos: KudosService, requests: RequestService) -> None:
        self.ctx = ctx
        self.users = users
        self.kudos = kudos
        self.requests = requests

    # --- who a Discord user is ------------------------------------------------------------------------------

    async def actor(self, discord_id: str, display_name: str) -> dto.Actor:
        """The linked Horde account after /login, else the user's own pseudonymous account (made on first use).
        Gifts waiting for this Discord user are delivered now."""
        async with self.ctx.db.read() as conn:
            link = await store.link_of(conn, discord_id)
        if link is not None:
            api_key = sealing.unseal(self.ctx.secret, SEAL_PURPOSE, link.api_key_sealed)
            try:
                actor = await self.users.authenticate(api_key or "-", client_agent=PROVIDER)
            except errors.AuthError as exc:
                raise errors.LinkBrokenError(
                    "Your linked API key no longer works. Run /login with your current key, or /logout."
                ) from exc
        else:
            actor = await self.users.linked_actor(PROVIDER, discord_id, display_name)
        await self._deliver_gifts(discord_id, actor)
        return actor

    async def is_linked(self, discord_id: str) -> bool:
        async with self.ctx.db.read() as conn:
            return await store.link_of(conn, discord_id) is not None

    async def login(self, discord_id: str, api_key: str) -> dto.UserInfo:
        """Link a Horde account: the key is checked, then kept sealed (Fernet) so the bot can act as the account."""
        actor = await self.users.authenticate(api_key.strip() or "-")
        if actor.is_anonymous:
            raise errors.AuthError("The anonymous key links no account. Use your own API key.")
        sealed = sealing.seal(self.ctx.secret, SEAL_PURPOSE, api_key.strip())
        async with self.ctx.db.write() as conn:
            await store.save_link(conn, discord_id, actor.user_id, sealed, self.ctx.clock())
        logger.info("discord_linked", extra={"action": "discord_linked", "actor": actor.user_id})
        await self._deliver_gifts(discord_id, actor)
        return await self.users.me(actor)

    async def logout(self, discord_id: str) -> bool:
        """Forget the linked key; the user acts as their pseudonymous account again. False: nothing was linked."""
        async with self.ctx.db.write() as conn:
            return await store.delete_link(conn, discord_id)

    # --- guild settings -------------------------------------------------------------------------------------

    async def guild(self, guild_id: str | None) -> GuildSettings:
        key = guild_id or DIRECT_MESSAGES
        async with self.ctx.db.read() as conn:
            return _guild(await store.guild(conn, key), key)

    async def update_guild(self, guild_id: str, *, can_manage: bool, **changes: Any) -> GuildSettings:
        """Change a guild's settings. ``can_manage``: the caller holds Discord's Manage Server permission there."""
        if not can_manage:
            raise errors.NotManagerError
        current = await self.guild(guild_id)
        unknown = set(changes) - {f.name for f in dataclasses.fields(GuildSettings)} - {"guild_id"}
        if unknown or "guild_id" in changes:
            raise errors.ValidationError(f"Cannot change {sorted(unknown | ({'guild_id'} & set(changes)))}.")
        if "blocked_words" in changes:
            changes["blocked_words"] = _clean_words(changes["blocked_words"])
        updated = dataclasses.replace(current, **changes)
        if not 0 <= updated.rate_limit_count <= 1000 or not 1 <= updated.rate_limit_seconds <= 86_400:
            raise errors.ValidationError(
                "A rate limit is 0 to 1000 generations per 1 to 86400 seconds.", {"rate_limit": "out of range"}
            )
        updated = dataclasses.replace(
            updated, default_model=_optional(updated.default_model), default_style=_optional(updated.default_style)
        )
        if updated.default_style:
            await self.requests.styles.get(updated.default_style, GenerationKind.IMAGE)  # raises StyleNotFound
        values = dataclasses.asdict(updated) | {"blocked_words": list(updated.blocked_words)}
        async with self.ctx.db.write() as conn:
            await store.save_guild(conn, values | {"updated_at": self.ctx.clock()})
        return updated

    # --- generating -----------------------------------------------------------------------------------------

    async def generate(
        self, actor: dto.Actor, ask: GenerationAsk, *, guild_id: str | None, discord_id: str, channel_nsfw: bool
    ) -> dto.RequestCreated:
        """Queue an image request from Discord under the guild's rules; refuses at once what cannot be made."""
        if ask.nsfw and not channel_nsfw:
            raise errors.NsfwChannelError(
                "NSFW images are made only in age-restricted channels. Leave nsfw off, or ask in such a channel."
            )
        settings = await self.guild(guild_id)
        if actor.kind is AccountKind.PSEUDONYMOUS and not settings.allow_anonymous:
            raise errors.LoginRequiredError("This server lets only linked Horde accounts generate. Run /login first.")
        word = words.blocked_word(settings.blocked_words, ask.prompt)
        if word is not None:
            raise errors.BlockedWordError(
                f"This server does not allow “{word}” in prompts. Change the prompt and retry."
            )
        if not ask.models and settings.default_model:
            ask = dataclasses.replace(ask, models=(settings.default_model,))
        if ask.style is None and settings.default_style:
            ask = dataclasses.replace(ask, style=settings.default_style)
        use_id = await self._claim_use(settings, discord_id)
        try:
            return await self.requests.submit(actor, GenerationKind.IMAGE, ask)
        except errors.HordeError:  # a refused request does not count against the guild's limit
            async with self.ctx.db.write() as conn:
                await store.delete_use(conn, use_id)
            raise

    async def _claim_use(self, settings: GuildSettings, discord_id: str) -> int:
        """Check the guild's rate limit and record this use in one transaction, so two commands at once cannot both
        pass it; returns the use's id."""
        now = self.ctx.clock()
        since = now - dt.timedelta(seconds=settings.rate_limit_seconds)
        async with self.ctx.db.write() as conn:
            await store.lock_uses(conn, settings.guild_id, discord_id)
            if settings.rate_limit_count:
                used = await store.count_uses(conn, settings.guild_id, discord_id, since)
                if used >= settings.rate_limit_count:
                    oldest = await store.oldest_use(conn, settings.guild_id, discord_id, since)
                    retry = max(
                        1, round(settings.rate_limit_seconds if oldest is None else (oldest - since).total_seconds())
                    )
                    raise errors.GuildRateLimitedError(
                        f"This server allows {settings.rate_limit_count} generations every "
                        f"{settings.rate_limit_seconds} s. Try again in {retry} s.",
                        retry_after=retry,
                    )
            await store.forget_uses_before(conn, now - dt.timedelta(days=1))
            return await store.record_use(conn, settings.guild_id, discord_id, now)

    # --- kudos gifts ----------------------------------------------------------------------------------------

    async def gift(self, sender: dto.Actor, to_discord_id: str, amount: float) -> GiftResult:
        """Send kudos to a Discord user: now if they have a Horde account through the bot, else when they first use
        it within a week (the kudos leave the sender only then)."""
        if amount != amount or amount <= 0:
            raise errors.NegativeKudosTransferError
        target = await self._account_of(to_discord_id)
        if target is not None:
            await self.kudos.transfer(sender, target, amount)
            return GiftResult(amount=amount, delivered=True, recipient=target)
        if sender.is_anonymous:
            raise errors.KudosTransferFromAnonError
        now = self.ctx.clock()
        async with self.ctx.db.write() as conn:
            await store.delete_expired_gifts(conn, now)
            await store.add_gift(
                conn, sender.user_id, to_discord_id, kudos_rules.to_milli(amount), now, now + GIFT_WAIT
            )
        return GiftResult(amount=amount, delivered=False, recipient=None)

    async def _account_of(self, discord_id: str) -> str | None:
        """``alias#id`` of the account a Discord user acts as, if they ever used the bot."""
        async with self.ctx.db.read() as conn:
            link = await store.link_of(conn, discord_id)
            row = (
                await user_store.by_id(conn, link.user_id)
                if link is not None
                else await user_store.by_external_id(conn, f"{PROVIDER}:{discord_id}")
            )
        return None if row is None else f"{row.username}#{row.id}"

    async def _deliver_gifts(self, discord_id: str, recipient: dto.Actor) -> None:
        now = self.ctx.clock()
        async with self.ctx.db.read() as conn:
            if not await store.has_gifts(conn, discord_id, now):  # the common case: no write
                return
        async with self.ctx.db.write() as conn:
            gifts = await store.take_gifts(conn, discord_id, now)
        for gift in gifts:
            try:
                sender = await self.users.actor_for(gift.from_user_id)
                amount = kudos_rules.from_milli(gift.amount_milli)
                await self.kudos.transfer(sender, recipient.display_name, amount)
            except errors.HordeError as exc:  # the sender spent it meanwhile, or was suspended: the gift lapses
                logger.info("discord_gift_lapsed", extra={"action": "discord_gift_lapsed", "reason": exc.rc})
