"""Rate limits shared by every process of every node: the same rules as ``horde.webapp.ratelimit``, with their
fixed windows counted in Redis by the ``limits`` library (one round trip per window a request counts against).

If Redis cannot be reached, requests pass (a warning is logged at most once a minute): a limiter that is down
must not take the horde down with it.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

import redis.asyncio as redis_asyncio
from limits import RateLimitItemPerSecond
from limits.aio.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string

from horde.webapp.ratelimit import Limit, RateLimitExceededError, Rule, buckets

logger = logging.getLogger(__name__)
KEY_PREFIX = "horde-ratelimit"
WARN_EVERY = 60.0  #: seconds between two warnings that Redis cannot be reached


def async_url(url: str) -> str:
    """``redis://…`` (or ``rediss://``, ``redis+unix://``) as the ``limits`` library's asyncio storage URL."""
    return url if url.startswith("async+") else f"async+{url}"


class RedisRateLimiter:
    """``HORDE_RATE_LIMITS``'s rules with their windows in Redis (``HORDE_REDIS_URL``)."""

    def __init__(self, rules: dict[str, Rule], url: str) -> None:
        self.rules: dict[str, Rule] | None = rules
        self.pool = redis_asyncio.ConnectionPool.from_url(url, socket_connect_timeout=1.0, socket_timeout=1.0)
        options: dict[str, Any] = {"implementation": "redispy", "connection_pool": self.pool, "key_prefix": KEY_PREFIX}
        self.storage: Any = storage_from_string(async_url(url), **options)
        self.strategy = FixedWindowRateLimiter(self.storage)
        self._items: dict[Limit, RateLimitItemPerSecond] = {}
        self._warned_at = -WARN_EVERY

    @property
    def enabled(self) -> bool:
        return True

    def _item(self, limit: Limit) -> RateLimitItemPerSecond:
        item = self._items.get(limit)
        if item is None:
            item = self._items[limit] = RateLimitItemPerSecond(limit.count, max(1, round(limit.seconds)))
        return item

    async def hit(self, name: str, *, ip: str | None, api_key: str | None, path: str) -> None:
        """Count one request in Redis; raise ``RateLimitExceededError`` when a window is full."""
        if self.rules is None or name not in self.rules:
            return
        for key, limit in buckets(name, self.rules[name], ip=ip, api_key=api_key, path=path):
            item = self._item(limit)
            name_hash = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()  # long paths, short Redis keys
            try:
                allowed = await self.strategy.hit(item, name_hash)
                if allowed:
                    continue
                stats = await self.strategy.get_window_stats(item, name_hash)
            except Exception:  # noqa: BLE001 - any failure of Redis lets the request through, see the module doc
                self._warn_unreachable()
                return
            raise RateLimitExceededError(str(limit), retry_after=max(1.0, stats.reset_time - time.time()))

    async def aclose(self) -> None:
        await self.pool.aclose()

    def _warn_unreachable(self) -> None:
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY:
            self._warned_at = now
            logger.warning("rate_limits_unavailable", extra={"action": "rate_limits_unavailable"}, exc_info=True)
