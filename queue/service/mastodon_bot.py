"""The Mastodon bot's rules: who a fediverse account acts as, which mentions it takes on (each once, whatever
happens), where it is in its notifications, and each account's rate limit and blocked words.

The bot turns a notification into these calls; every decision is made here, and the state is in the database, so
a restart neither answers a mention twice nor forgets one.
"""

from __future__ import annotations

import dataclasses

from horde.queue import dto, errors
from horde.queue.domain import words
from horde.queue.domain.jobs import GenerationKind
from horde.queue.service.asks import GenerationAsk
from horde.queue.service.context import Context
from horde.queue.service.requests import RequestService
from horde.queue.service.users import UserService
from horde.queue.store import mastodon_state as store

PROVIDER = "mastodon"
BEGINNING = "0"  #: the place after a first start that found no mention: every later mention counts
PENDING = "pending"  #: a mention's request while it is being made: it counts for the rate limit already


@dataclasses.dataclass(frozen=True)
class MastodonRules:
    """What the bot's operator set: one request per account every ``rate_limit_seconds``, and blocked words on top
    of the horde's own prompt filters."""

    rate_limit_seconds: int = 300
    blocked_words: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Mention:
    status_id: str
    account: str
    request_id: str | None


class MastodonService:
    def __init__(self, ctx: Context, users: UserService, requests: RequestService) -> None:
        self.ctx = ctx
        self.users = users
        self.requests = requests

    async def actor(self, account: str, display_name: str) -> dto.Actor:
        """The account's own pseudonymous Horde user (``user@instance``), made on first use."""
        return await self.users.linked_actor(PROVIDER, account, display_name or account)

    # --- where the bot is -----------------------------------------------------------------------------------

    async def cursor(self, instance: str) -> str | None:
        """The last notification handled on ``instance``; None before the bot's very first start there."""
        async with self.ctx.db.read() as conn:
            return await store.cursor(conn, instance)

    async def save_cursor(self, instance: str, notification_id: str) -> None:
        async with self.ctx.db.write() as conn:
            await store.save_cursor(conn, instance, notification_id, self.ctx.clock())

    async def started(self, instance: str) -> None:
        """The very first start on ``instance`` is over even when it found no mention to set the place by: from
        now on every mention counts, however long the bot is down."""
        async with self.ctx.db.write() as conn:
            if await store.cursor(conn, instance) is None:
                await store.save_cursor(conn, instance, BEGINNING, self.ctx.clock())

    async def take_on(self, instance: str, status_id: str, account: str) -> bool:
        """Claim a mention for an answer; False when it was claimed before (by this bot, before a restart, or by
        another copy of it): it must not be answered again."""
        try:
            async with self.ctx.db.write() as conn:
                await store.insert_mention(conn, status_id, instance, account, self.ctx.clock())
        except errors.AlreadyExistsError:
            return False
        return True

    async def unanswered(self, instance: str) -> list[Mention]:
        """Mentions taken on but not answered (the bot stopped meanwhile): to finish after a restart."""
        async with self.ctx.db.read() as conn:
            rows = await store.unanswered(conn, instance)
        return [Mention(r.status_id, r.account, None if r.request_id == PENDING else r.request_id) for r in rows]

    async def answered(self, status_id: str) -> None:
        async with self.ctx.db.write() as conn:
            await store.mark_answered(conn, status_id)

    # --- generating -----------------------------------------------------------------------------------------

    async def generate(
        self, actor: dto.Actor, mention: Mention, ask: GenerationAsk, rules: MastodonRules
    ) -> dto.RequestCreated:
        """Queue the images a mention (taken on) asks for, under the bot's rules and the horde's."""
        word = words.blocked_word(rules.blocked_words, ask.prompt.partition("###")[0])  # as the horde's filters
        if word is not None:
            raise errors.BlockedWordError(f"“{word}” is not allowed in prompts here.")
        status_id = mention.status_id
        await self._take_turn(mention.account, status_id, rules)
        try:
            created = await self.requests.submit(actor, GenerationKind.IMAGE, ask)
        except errors.HordeError:
            await self._set_request(status_id, None)  # a refused request does not use up the account's turn
            raise
        await self._set_request(status_id, created.id)
        return created

    async def _take_turn(self, account: str, status_id: str, rules: MastodonRules) -> None:
        """One request per account every ``rate_limit_seconds``: checked and taken in one transaction."""
        now = self.ctx.clock()
        async with self.ctx.db.write() as conn:
            await store.lock_account(conn, account)
            last = await store.last_request_at(conn, account, besides=status_id)  # its own turn, if resumed
            wait = 0.0 if last is None else rules.rate_limit_seconds - (now - last).total_seconds()
            if wait > 0:
                minutes = max(1, round(rules.rate_limit_seconds / 60))
                raise errors.RateLimitedError(
                    f"One drawing per account every {minutes} minutes.", retry_after=max(1, round(wait))
                )
            await store.set_request(conn, status_id, PENDING)

    async def _set_request(self, status_id: str, request_id: str | None) -> None:
        async with self.ctx.db.write() as conn:
            await store.set_request(conn, status_id, request_id)
