"""Rate limits per IP and per API key: fixed windows, answering 429 with ``Retry-After``.

By default the windows live in memory, per process (``RateLimiter``, O(1) per call). With ``HORDE_REDIS_URL`` set
they live in Redis, through the ``limits`` library (``horde.webapp.redislimit``), so that they hold across every
process of every node.

``HORDE_RATE_LIMITS`` is ``on`` (AI Horde's limits), ``off``, or a comma-separated list of overrides such as
``check=20/1,status=30/60`` (N requests per S seconds for the named limit; every other limit keeps its default).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import time
from collections import OrderedDict
from typing import Protocol

from starlette.applications import Starlette

from horde.queue import errors

#: at most this many buckets per window length (about 250 bytes each): a flood of distinct keys cannot grow memory
MAX_ENTRIES = 100_000
#: expired buckets dropped per call: more than a call adds (two at most), so expired buckets never pile up
EVICT_PER_CALL = 4


class RateLimitExceededError(errors.RateLimitedError):
    """Too many requests; slow down."""

    rc = "RateLimited"


@dataclasses.dataclass(frozen=True)
class Limit:
    count: int
    seconds: float

    def __str__(self) -> str:
        return f"{self.count} per {self.seconds:g} second{'s' if self.seconds != 1 else ''}"


@dataclasses.dataclass(frozen=True)
class Rule:
    """One endpoint's limits: per IP (and per path, so per request id for check and status) and per key."""

    per_ip: Limit | None = None
    per_key: Limit | None = None
    per_path: bool = False


#: AI Horde's limits (reference §1.1-1.2): generate 2/s per IP and per key; check 10/s and status 10/min per request
#: id; pop and submit 60/s per IP.
DEFAULT_RULES: dict[str, Rule] = {
    "generate": Rule(per_ip=Limit(2, 1), per_key=Limit(2, 1)),
    "check": Rule(per_ip=Limit(10, 1), per_path=True),
    "status": Rule(per_ip=Limit(10, 60), per_path=True),
    "text_status": Rule(per_ip=Limit(60, 60), per_path=True),
    "pop": Rule(per_ip=Limit(60, 1)),
    "submit": Rule(per_ip=Limit(60, 1)),
    # the web pages: new accounts and key guesses per IP
    "register": Rule(per_ip=Limit(5, 3600)),
    "login": Rule(per_ip=Limit(20, 60)),
    # making things that last (teams, styles): per IP and per key, so neither many keys nor many addresses flood
    "create": Rule(per_ip=Limit(10, 3600), per_key=Limit(10, 3600)),
}


def parse(setting: str) -> dict[str, Rule] | None:
    """The rules a ``HORDE_RATE_LIMITS`` value asks for; None when limits are off."""
    value = setting.strip().lower()
    if value in ("off", "false", "0", "no"):
        return None
    rules = dict(DEFAULT_RULES)
    if value in ("", "on", "true", "1", "yes"):
        return rules
    for item in value.split(","):
        name, _, spec = item.strip().partition("=")
        count, _, seconds = spec.partition("/")
        if name not in rules or not (count.isascii() and count.isdigit()):
            raise ValueError(f"bad rate limit {item!r}: use NAME=COUNT/SECONDS with NAME in {sorted(rules)}")
        limit = Limit(int(count), float(seconds or 1))
        old = rules[name]
        rules[name] = dataclasses.replace(old, per_ip=limit, per_key=limit if old.per_key else None)
    return rules


class RateLimiter:
    """Fixed windows in bounded memory, at a constant cost per call whatever the callers send.

    Buckets live in one ordered table per window length, oldest-touched first. A touched bucket moves to the end
    and its window starts now or later, so the front of each table holds the bucket that expires first: each call
    drops at most ``EVICT_PER_CALL`` expired buckets from the fronts, and never scans the table. When a table is
    full, its least recently touched bucket goes (that caller's count starts again: a flood of new keys can make a
    limit more lenient for a moment, never stricter for anyone). Bucket names are stored as 16-byte digests, so a
    long path costs no more memory than a short one.
    """

    def __init__(self, rules: dict[str, Rule] | None, *, max_entries: int = MAX_ENTRIES) -> None:
        self.rules = rules
        self.max_entries = max_entries
        self._tables: dict[float, OrderedDict[bytes, list[float]]] = {}
        self._clock = time.monotonic
        self.evicted = 0  #: buckets dropped so far (expired or pushed out)

    @property
    def enabled(self) -> bool:
        return self.rules is not None

    def __len__(self) -> int:
        return sum(len(table) for table in self._tables.values())

    def _hit(self, key: str, limit: Limit, now: float) -> None:
        table = self._tables.setdefault(limit.seconds, OrderedDict())
        self._evict(table, limit.seconds, now)
        start = math.floor(now / limit.seconds) * limit.seconds
        name = hashlib.blake2b(key.encode(), digest_size=16).digest()
        bucket = table.get(name)
        if bucket is None or bucket[0] != start:
            bucket = [start, 0.0]
        if bucket[1] >= limit.count:
            raise RateLimitExceededError(str(limit), retry_after=max(1.0, start + limit.seconds - now))
        bucket[1] += 1
        table[name] = bucket
        table.move_to_end(name)

    def _evict(self, table: OrderedDict[bytes, list[float]], seconds: float, now: float) -> None:
        for _ in range(EVICT_PER_CALL):
            if not table:
                return
            oldest = next(iter(table.values()))
            if oldest[0] + seconds > now and len(table) < self.max_entries:
                return
            table.popitem(last=False)
            self.evicted += 1

    async def hit(self, name: str, *, ip: str | None, api_key: str | None, path: str) -> None:
        """What every caller awaits, whichever limiter the app has: ``check`` here, Redis's round trip there."""
        self.check(name, ip=ip, api_key=api_key, path=path)

    async def aclose(self) -> None:
        """Nothing to release: the windows are plain memory."""

    def check(self, name: str, *, ip: str | None, api_key: str | None, path: str) -> None:
        """Count one request; raise ``RateLimitExceededError`` when a window is full."""
        if self.rules is None or name not in self.rules:
            return
        now = self._clock()
        for key, limit in buckets(name, self.rules[name], ip=ip, api_key=api_key, path=path):
            self._hit(key, limit, now)


class Limiter(Protocol):
    """Either limiter: in memory (``RateLimiter``) or in Redis (``horde.webapp.redislimit.RedisRateLimiter``)."""

    rules: dict[str, Rule] | None

    @property
    def enabled(self) -> bool: ...

    async def hit(self, name: str, *, ip: str | None, api_key: str | None, path: str) -> None: ...

    async def aclose(self) -> None: ...


def buckets(name: str, rule: Rule, *, ip: str | None, api_key: str | None, path: str) -> list[tuple[str, Limit]]:
    """The windows one request counts against: its IP's (per path when the rule says so) and its key's."""
    where = f"{name}@{path}" if rule.per_path else name
    found = []
    if rule.per_ip is not None:
        found.append((f"ip:{ip}@{where}", rule.per_ip))
    if rule.per_key is not None and api_key and api_key != "0000000000":
        hashed = hashlib.sha256(api_key.encode()).hexdigest()[:24]
        found.append((f"key:{hashed}@{where}", rule.per_key))
    return found


def limiter_for(app: Starlette) -> Limiter:
    """The application's one limiter (made on first use from ``HORDE_RATE_LIMITS`` and ``HORDE_REDIS_URL``)."""
    limiter: Limiter | None = getattr(app.state, "rate_limiter", None)
    if limiter is None:
        settings = app.state.settings
        rules = parse(settings.rate_limits)
        if settings.redis_url is not None and rules is not None:
            from horde.webapp.redislimit import RedisRateLimiter

            limiter = RedisRateLimiter(rules, settings.redis_url.get_secret_value())
        else:
            limiter = RateLimiter(rules)
        app.state.rate_limiter = limiter
    return limiter


async def close_limiter(app: Starlette) -> None:
    """Release the limiter's connections (Redis), if one was made; the app's lifespan calls this last."""
    limiter: Limiter | None = getattr(app.state, "rate_limiter", None)
    if limiter is not None:
        app.state.rate_limiter = None
        await limiter.aclose()
