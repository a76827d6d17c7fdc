"""One running copy of each chat bot, however many nodes or processes are started with its token.

Discord sends every command to every process connected with a bot's token, and each would act on it: two requests
queued and charged for one ``/generate``, two gifts for one reaction. A Mastodon bot starting while another copy
works would take up the mentions that copy has taken on and not yet answered, and answer them again. So a bot
does its work only while it holds the lease of its account (``store.leases``: a PostgreSQL advisory lock, named
after the bot and a hash of its token). A second copy waits, trying again every ``RETRY_SECONDS``, and takes over
within that time when the first stops or dies. The holder checks every ``CHECK_SECONDS`` that its lease is still
held; when its database connection broke, its ``lost()`` returns, and the bot must stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator

from horde.queue.service.context import Context
from horde.queue.store import leases

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5.0  #: how often a waiting copy tries to take the lease
CHECK_SECONDS = 5.0  #: how often the holder checks that its lease is still held


def lease_key(bot: str, account: str) -> int:
    """The advisory lock's key for ``bot`` (discord, mastodon) running as ``account`` (its token): a signed 64-bit
    number, so the token itself is never sent to the database."""
    digest = hashlib.sha256(f"horde-bot-lease:{bot}:{account}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class HeldLease:
    def __init__(self, lease: leases.Lease, check_seconds: float) -> None:
        self._lease = lease
        self._check_seconds = check_seconds

    async def lost(self) -> None:
        """Returns once the lease is no longer held (the connection that held it broke)."""
        while True:
            await asyncio.sleep(self._check_seconds)
            if not await self._lease.alive():
                return


class BotLeases:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @contextlib.asynccontextmanager
    async def hold(
        self,
        bot: str,
        account: str,
        *,
        retry_seconds: float = RETRY_SECONDS,
        check_seconds: float = CHECK_SECONDS,
    ) -> AsyncIterator[HeldLease]:
        """Wait until this process holds ``bot``'s lease for ``account``; hold it while the block runs."""
        key, waited = lease_key(bot, account), False
        while True:
            async with leases.lease(self.ctx.db, key) as held:
                if held is not None:
                    if waited:
                        logger.info("bot_lease_taken", extra={"action": "bot_lease_taken", "bot": bot})
                    yield HeldLease(held, check_seconds)
                    return
            if not waited:
                logger.info("bot_lease_waiting", extra={"action": "bot_lease_waiting", "bot": bot})
                waited = True
            await asyncio.sleep(retry_seconds)
