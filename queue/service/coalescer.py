"""Calls that arrive together run together: one batch, one transaction, a few statements for all of them.

A horde's workers pop and submit all the time, and under load dozens of those calls arrive while the previous
ones are still being carried out. Run one by one, each pays its own transaction and a dozen statements; run as a
batch they share the transaction and each statement runs once for all of them (``Raw.executemany``, a
``KeysSql`` lookup).

- At most ``in_flight`` batches run at once. One suits SQLite's single writer; PostgreSQL runs a few, so that a
  call does not wait behind another batch's round trips (the claims of concurrent batches skip each other's rows).
- While the load is light (the last batch held at most ``LIGHT`` calls), a call that finds room, and nobody
  waiting before it, runs at once, alone, in its caller's task: a lightly loaded horde answers as fast as without
  batching (waiting for a batch costs two more turns of the event loop). Otherwise calls wait: a task takes every call that joined up to the next turn of the
  loop (up to ``limit``) into one batch, and calls that find no room are taken when a batch ends. So batches grow
  with the load, by themselves.
- Two calls with the same key (one worker's two pops, one job's two submits) never share a batch, nor run in two
  batches at once: the second waits for the first's batch to end, so it sees what the first changed.
- ``run`` returns one result or exception per item, in order: one item's error is that item's alone. If ``run``
  itself raises (the transaction failed), every item of the batch gets that error and nothing of it was written.
- A caller that is cancelled while waiting is left out; once its batch started, the item is carried out and only
  the answer is dropped (as for a caller cancelled while its own transaction commits). A caller running alone that
  is cancelled cancels only its own item.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from horde.queue.service.context import Context

T = TypeVar("T")
R = TypeVar("R")

#: the most items in one batch
LIMIT = 64
#: batches running at once on PostgreSQL (SQLite: one)
PG_IN_FLIGHT = 2
#: a last batch of at most this many calls means light load: calls that find room run alone
LIGHT = 4


class Coalescer(Generic[T, R]):
    def __init__(
        self,
        run: Callable[[list[T]], Awaitable[Sequence[R | BaseException]]],
        *,
        limit: int = LIMIT,
        in_flight: int = 1,
    ) -> None:
        self._run = run
        self._limit = limit
        self._in_flight = in_flight
        self._pending: list[tuple[Hashable, T, asyncio.Future[R]]] = []
        self._active = 0  #: batches running, alone in a caller's task or in a task of their own
        self._busy: set[Hashable] = set()  #: keys of the running batches
        self._starting = False  #: a task was made to take the next batch and has not yet
        self._last_size = 0  #: calls in the last batch
        self._tasks: set[asyncio.Task[None]] = set()

    async def __call__(self, key: Hashable, item: T) -> R:
        if (
            self._last_size <= LIGHT
            and self._active < self._in_flight
            and not self._starting
            and not self._pending
            and key not in self._busy
        ):
            return await self._alone(key, item)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._pending.append((key, item, future))
        self._kick(loop)
        return await future

    async def _alone(self, key: Hashable, item: T) -> R:
        self._last_size = 1
        self._active += 1
        self._busy.add(key)
        try:
            [result] = await self._run([item])
        finally:
            self._active -= 1
            self._busy.discard(key)
            self._kick(asyncio.get_running_loop())
        if isinstance(result, BaseException):
            raise result
        return result

    def _kick(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start a task for the next batch if there is room and a waiting call that can go."""
        if self._starting or self._active >= self._in_flight:
            return
        if any(not future.done() and key not in self._busy for key, _, future in self._pending):
            self._starting = True
            self._active += 1
            task = loop.create_task(self._carry_out(loop))
            self._tasks.add(task)  # the loop keeps only a weak reference to a task
            task.add_done_callback(self._tasks.discard)

    def _next_batch(self) -> list[tuple[Hashable, T, asyncio.Future[R]]]:
        batch: list[tuple[Hashable, T, asyncio.Future[R]]] = []
        later: list[tuple[Hashable, T, asyncio.Future[R]]] = []
        keys: set[Hashable] = set()
        for entry in self._pending:
            if entry[2].done():  # its caller was cancelled
                continue
            if entry[0] in keys or entry[0] in self._busy or len(batch) >= self._limit:
                later.append(entry)
            else:
                keys.add(entry[0])
                batch.append(entry)
        self._pending = later
        return batch

    async def _carry_out(self, loop: asyncio.AbstractEventLoop) -> None:
        self._starting = False
        batch = self._next_batch()  # every call that joined up to this turn of the loop
        self._last_size = len(batch)
        keys = {key for key, _, _ in batch}
        self._busy |= keys
        try:
            if batch:
                _deliver(batch, await self._run([item for _, item, _ in batch]))
        except Exception as exc:  # noqa: BLE001 - each caller gets the batch's failure
            _deliver(batch, [exc] * len(batch))
        except BaseException:  # cancelled (the service is closing): so are its callers
            for _, _, future in batch:
                future.cancel()
            raise
        finally:
            self._active -= 1
            self._busy -= keys
            self._kick(loop)


def _deliver(batch: list[tuple[Hashable, T, asyncio.Future[R]]], results: Sequence[R | BaseException]) -> None:
    for (_, _, future), result in zip(batch, results, strict=True):
        if future.done():  # its caller was cancelled meanwhile
            continue
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)


def in_flight(ctx: Context) -> int:
    """Batches at once for this database: SQLite has one writer; PostgreSQL overlaps a few batches' round trips."""
    return 1 if ctx.db.is_sqlite else PG_IN_FLIGHT
