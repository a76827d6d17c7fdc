"""Reading a kept snapshot again by one caller at a time, and never serving one older than its stated age.

While one caller reads a snapshot that has aged (a model's queue, the online workers, the modes, the prompt
filters), the others go on with the old snapshot, or wait for the new one when there is none: a herd of requests
arriving as a snapshot ages must not all read the same thing at once (on PostgreSQL that herd was most of the poll
tail).

Every per-process cache states a maximum age (``Kept.max_age``), and no answer comes from a snapshot older than
that, even while it is being read again: the snapshot is read again from ``REFRESH_SHARE`` of its age on, and the
callers that arrive meanwhile are served the old one only until it reaches its maximum age; after that they wait
for the read. A snapshot's age counts from when its read began, on the cache's own timer; a timer that went
backwards (a wall clock set back) makes every snapshot too old.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")
T = TypeVar("T")

REFRESH_SHARE = 0.8  #: a kept snapshot is read again once this share of its maximum age has passed


@dataclasses.dataclass(frozen=True)
class Kept(Generic[T]):
    """``value`` as read from ``read_at`` on (seconds on the cache's timer), served while younger than ``max_age``."""

    value: T
    read_at: float
    max_age: float

    def servable(self, now: float) -> bool:
        return 0.0 <= now - self.read_at < self.max_age

    def fresh(self, now: float) -> bool:
        """Young enough that nobody needs to read it again yet."""
        return 0.0 <= now - self.read_at < REFRESH_SHARE * self.max_age


class SingleFlight(Generic[V]):
    def __init__(self) -> None:
        self._reading: dict[Hashable, asyncio.Future[V]] = {}

    async def read(self, key: Hashable, old: V | None, read: Callable[[], Awaitable[V]]) -> V:
        """``read()`` the snapshot named ``key`` again, unless another caller is already at it: then ``old``, or,
        without one, what that caller reads (its failure too)."""
        reading = self._reading.get(key)
        if reading is not None:
            return old if old is not None else await asyncio.shield(reading)
        reading = self._reading[key] = asyncio.get_running_loop().create_future()
        try:
            fresh = await read()
        except BaseException as exc:
            reading.set_exception(exc)
            reading.exception()  # retrieved here: callers waiting on it get it too
            raise
        finally:
            del self._reading[key]
        reading.set_result(fresh)
        return fresh


async def kept_or_read(
    flight: SingleFlight[Kept[T]],
    key: Hashable,
    kept: Kept[T] | None,
    now: float,
    read: Callable[[], Awaitable[Kept[T]]],
) -> Kept[T]:
    """``kept`` while it is fresh; else ``read()`` it again (one caller at a time), the others being served ``kept``
    meanwhile only while it is within its maximum age."""
    if kept is not None and kept.fresh(now):
        return kept
    return await flight.read(key, kept if kept is not None and kept.servable(now) else None, read)
