"""Mastodon.py, blocking, called from the bot's event loop on a thread, with retries and backoff for what a
server or network error may fix; a status that is gone is ``GoneError``, for the bot to skip quietly."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import Callable
from typing import Any

from mastodon import Mastodon
from mastodon.errors import (
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
)

logger = logging.getLogger(__name__)

RETRIABLE = (MastodonNetworkError, MastodonRatelimitError, MastodonServerError)
ATTEMPTS = 4


class GoneError(Exception):
    """The status (or the thing asked for) no longer exists: the mention was deleted."""


class Api:
    def __init__(self, client: Mastodon, *, backoff: float = 1.0) -> None:
        self.client = client
        self.backoff = backoff

    async def call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        for attempt in range(ATTEMPTS):
            try:
                return await asyncio.to_thread(method, *args, **kwargs)
            except MastodonNotFoundError as exc:
                raise GoneError(str(exc)) from exc
            except RETRIABLE as exc:
                if attempt == ATTEMPTS - 1:
                    raise
                wait = self.backoff * 2**attempt
                logger.info("mastodon_retry", extra={"action": "mastodon_retry", "reason": type(exc).__name__})
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    async def me(self) -> Any:
        return await self.call(self.client.account_verify_credentials)

    async def instance(self) -> Any:
        return await self.call(self.client.instance)

    async def mentions(self, after: str | None, limit: int = 40) -> list[Any]:
        """Mention notifications after ``after`` (the oldest first), or the newest ones when None."""
        found = await self.call(self.client.notifications, types=["mention"], min_id=after, limit=limit)
        return sorted(found, key=lambda n: int(n["id"]))

    async def status(self, status_id: str) -> Any:
        return await self.call(self.client.status, status_id)

    async def upload(self, data: bytes, description: str) -> Any:
        def post() -> Any:  # a fresh file for each attempt: a failed one may have read it
            return self.client.media_post(io.BytesIO(data), mime_type="image/webp", description=description)

        return await self.call(post)

    async def reply(self, text: str, to: str, *, visibility: str, **fields: Any) -> Any:
        return await self.call(self.client.status_post, text, in_reply_to_id=to, visibility=visibility, **fields)

    async def delete(self, status_id: str) -> None:
        with contextlib.suppress(GoneError):
            await self.call(self.client.status_delete, status_id)
