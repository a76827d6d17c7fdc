"""Reading a kept snapshot again by one caller at a time.

While one caller reads a snapshot that has aged (a model's queue, the online workers), the others go on with the
old snapshot, or wait for the new one when there is none: a herd of requests arriving as a snapshot ages must not
all read the same thing at once (on PostgreSQL that herd was most of the poll tail).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


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
