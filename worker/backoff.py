"""Retry policy for talking to the server: capped exponential backoff with "equal jitter".

Attempt ``k`` (0-based) waits between half and all of ``min(cap, base * factor**k)``, so delays never shrink from
one attempt to the next and workers that lost the server together do not come back in lockstep.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class BackoffPolicy:
    """How often and how long to wait before retrying a request that failed for a transient reason."""

    base: float = 1.0
    factor: float = 2.0
    cap: float = 60.0
    max_attempts: int = 8  #: total tries, the first included
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def ceiling(self, attempt: int) -> float:
        """The un-jittered delay after failed attempt number ``attempt`` (0-based)."""
        return min(self.cap, self.base * self.factor**attempt)

    def delay(self, attempt: int) -> float:
        """The delay to sleep after failed attempt number ``attempt``: in ``[ceiling/2, ceiling]``."""
        top = self.ceiling(attempt)
        return top / 2 + self.rng.uniform(0, top / 2)

    def should_retry(self, attempt: int) -> bool:
        """Whether another try is allowed after failed attempt number ``attempt`` (0-based)."""
        return attempt + 1 < self.max_attempts


async def real_sleep(seconds: float) -> None:
    """The default sleep: ``asyncio.sleep``."""
    await asyncio.sleep(seconds)
