"""Calls that arrive together run together: one batch, one transaction, a few statements for all of them.

A horde's workers pop and submit all the time, and under load dozens of those calls are ready in the same turn of
the event loop. Run one by one, each pays its own transaction and a dozen statements; run as a batch they share
the transaction and each statement runs once for all of them (``Raw.executemany``, a ``KeysSql`` lookup).

- A call joins the pending list. If no batch is running, one starts on the next turn of the loop, after every call
  of this turn has joined; calls that arrive while a batch runs form the next one.
- Two calls with the same key (one worker's two pops, one job's two submits) never share a batch: the second waits
  for the next, so it sees what the first changed.
- ``run`` returns one result or exception per item, in order: one item's error is that item's alone. If ``run``
  itself raises (the transaction failed), every item of the batch gets that error and nothing of it was written.
- A caller that is cancelled before its batch starts is left out; once the batch started, the item is carried out
  and only the answer is dropped (as for a caller cancelled while its own transaction commits).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: the most items in one batch
LIMIT = 64


class Coalescer(Generic[T, R]):
    def __init__(self, run: Callable[[list[T]], Awaitable[Sequence[R | BaseException]]], *, limit: int = LIMIT) -> None:
        self._run = run
        self._limit = limit
        self._pending: list[tuple[Hashable, T, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None

    async def __call__(self, key: Hashable, item: T) -> R:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._pending.append((key, item, future))
        if self._task is None:
            self._task = loop.create_task(self._drain())
        return await future

    def _next_batch(self) -> list[tuple[Hashable, T, asyncio.Future[R]]]:
        batch: list[tuple[Hashable, T, asyncio.Future[R]]] = []
        later: list[tuple[Hashable, T, asyncio.Future[R]]] = []
        keys: set[Hashable] = set()
        for entry in self._pending:
            if entry[2].done():  # its caller was cancelled
                continue
            if entry[0] in keys or len(batch) >= self._limit:
                later.append(entry)
            else:
                keys.add(entry[0])
                batch.append(entry)
        self._pending = later
        return batch

    async def _drain(self) -> None:
        try:
            while batch := self._next_batch():
                try:
                    results = await self._run([item for _, item, _ in batch])
                except Exception as exc:  # noqa: BLE001 - each caller gets the batch's failure
                    _deliver(batch, [exc] * len(batch))
                except BaseException:  # cancelled (the service is closing): so are its callers
                    for _, _, future in batch:
                        future.cancel()
                    raise
                else:
                    _deliver(batch, results)
        finally:
            self._task = None
            for _, _, future in self._pending:  # left by a cancelled drain: their callers still wait
                future.cancel()
            self._pending = []

    async def wait_idle(self) -> None:
        """Until the running batch (and those queued behind it) is done."""
        while self._task is not None:
            await asyncio.shield(self._task)


def _deliver(batch: list[tuple[Hashable, T, asyncio.Future[R]]], results: Sequence[R | BaseException]) -> None:
    for (_, _, future), result in zip(batch, results, strict=True):
        if future.done():  # its caller was cancelled meanwhile
            continue
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)
