"""Queue position counts the requests ahead in the request's shortest model queue."""

from __future__ import annotations

import asyncio
from typing import Any
from unittest.mock import patch

import pytest

from horde.queue.service import HordeService
from horde.queue.service.positions import MAX_AGE_SECONDS, MAX_QUEUES, QueuePositions
from horde.queue.store import queue as queue_store
from tests.factories import ask_image, make_user, pop


async def test_position_counts_requests_ahead_in_the_shortest_of_its_model_queues(service: HordeService) -> None:
    first = await make_user(service, "first", kudos=1000)  # more kudos: ahead in the queue
    later = await make_user(service, "later")
    ahead = [await ask_image(service, first, models=("a",)) for _ in range(3)]
    only_a = await ask_image(service, later, models=("a",))
    a_or_b = await ask_image(service, later, models=("a", "b"))
    await ask_image(service, later, models=("b",))  # behind a_or_b in b's queue: not ahead of it

    assert [(await service.requests.status(later, r.id)).queue_position for r in ahead] == [1, 2, 3]
    assert (await service.requests.status(later, only_a.id)).queue_position == 4
    assert (await service.requests.status(later, a_or_b.id)).queue_position == 1  # first in b's queue

    owner = await make_user(service, "owner")
    popped = await pop(service, owner, models=("a",))
    assert popped.request_id == ahead[0].id
    assert (await service.requests.status(later, only_a.id)).queue_position == 3
    gone = await service.requests.status(later, ahead[0].id)
    assert (gone.waiting, gone.queue_position) == (0, 0)


async def test_cached_positions_are_read_once_per_model_and_refreshed_when_old(service: HordeService) -> None:
    asker = await make_user(service, "asker", kudos=1000)
    requests = [await ask_image(service, asker, models=("a",)) for _ in range(4)]
    now = [100.0]
    cache = QueuePositions(keep_seconds=1.0, timer=lambda: now[0])
    reads: list[str] = []
    real = queue_store.model_queue

    async def counted(conn: Any, kind: str, model: str) -> list[tuple[float, float]]:
        reads.append(model)
        return await real(conn, kind, model)

    async def positions() -> list[int]:
        result = []
        async with service.ctx.db.read() as conn:
            for r in requests:
                exact = await queue_store.position(conn, r.id)
                cached = await cache.position(conn, r.id)
                result.append(cached[0])
                assert cached[1] == pytest.approx(exact[1]) or cached[0] != exact[0]
        return result

    with patch.object(queue_store, "model_queue", counted):
        assert await positions() == [0, 1, 2, 3]  # as counted exactly
        assert reads == ["a"]  # one read of the queue served the four polls

        owner = await make_user(service, "owner")
        await pop(service, owner, models=("a",))
        assert await positions() == [0, 1, 2, 3]  # under a second old: the picture from before the pop
        now[0] += 1.5
        assert await positions() == [0, 0, 1, 2]  # the first left the queue; the others moved up
        assert reads == ["a", "a"]


async def test_a_queue_slow_to_read_is_kept_longer_but_never_past_its_maximum_age(service: HordeService) -> None:
    asker = await make_user(service, "asker", kudos=1000)
    request = await ask_image(service, asker, models=("a",))
    # the first read takes 0.25 s: kept 20 × 0.25 = 5 s, not 1 s (read again from 80% of that, 4 s, on)
    clock = iter([0.0, 0.25, 2.0, 3.9, 4.0, 4.01, 5.0])
    cache = QueuePositions(keep_seconds=1.0, timer=lambda: next(clock))
    async with service.ctx.db.read() as conn:
        with patch.object(queue_store, "model_queue", wraps=queue_store.model_queue) as read:
            for _ in range(4):  # at 0, 2, 3.9 and 4 s
                await cache.position(conn, request.id)
            assert read.call_count == 2  # at 0.0, then at 4.0
            assert cache.max_age(0.25) == 5.0
            assert cache.max_age(3600.0) == MAX_AGE_SECONDS  # however slow the read: never older than this
            assert cache.max_age(0.001) == 1.0


async def test_polls_arriving_together_read_an_old_queue_once(service: HordeService) -> None:
    asker = await make_user(service, "asker", kudos=1000)
    requests = [await ask_image(service, asker, models=("a",)) for _ in range(3)]
    now = [0.0]
    cache = QueuePositions(keep_seconds=1.0, timer=lambda: now[0])
    reads = 0
    release, reading = asyncio.Event(), asyncio.Event()
    real = queue_store.model_queue

    async def slow(conn: Any, kind: str, model: str) -> list[tuple[float, float]]:
        nonlocal reads
        reads += 1
        reading.set()
        await release.wait()
        return await real(conn, kind, model)

    async def poll(request_id: str) -> tuple[int, float]:
        async with service.ctx.db.read() as conn:
            return await cache.position(conn, request_id)

    async def answered(tasks: list[asyncio.Task[tuple[int, float]]], count: int) -> None:
        """Waits until ``count`` polls have answered: they open connections first, which on a busy PostgreSQL takes
        more than a few milliseconds."""
        for n, answer in enumerate(asyncio.as_completed(tasks, timeout=10), 1):
            await answer
            if n == count:
                return

    pending: list[asyncio.Task[tuple[int, float]]] = []
    try:
        with patch.object(queue_store, "model_queue", slow):
            first = [asyncio.create_task(poll(r.id)) for r in requests]  # no picture yet: they wait for one read
            pending = first
            await asyncio.wait_for(reading.wait(), timeout=10)
            release.set()
            assert [p[0] for p in await asyncio.gather(*first)] == [0, 1, 2]
            assert reads == 1

            now[0] = 0.9  # aging: one poll reads again, the others answer from the old picture meanwhile
            release.clear()
            again = [asyncio.create_task(poll(r.id)) for r in requests]
            pending = again
            await answered(again, 2)
            assert reads == 2 and sum(task.done() for task in again) == 2
            release.set()
            assert [p[0] for p in await asyncio.gather(*again)] == [0, 1, 2]
            assert reads == 2

            now[0] = 5.0  # past its maximum age: nobody is answered from it; they all wait for the one read
            release.clear()
            reading.clear()
            late = [asyncio.create_task(poll(r.id)) for r in requests]
            pending = late
            await asyncio.wait_for(reading.wait(), timeout=10)
            await asyncio.sleep(0.2)  # time for the other two to arrive and (wrongly) answer from the old picture
            assert not any(task.done() for task in late)
            release.set()
            assert [p[0] for p in await asyncio.gather(*late)] == [0, 1, 2]
            assert reads == 3
    finally:  # a failed assertion must not leave polls holding connections into the next test
        release.set()
        await asyncio.gather(*pending, return_exceptions=True)


async def test_model_queues_kept_are_bounded_and_a_read_never_rescans_them(service: HordeService) -> None:
    """Model names come from users: however many there are, the cache holds at most ``MAX_QUEUES`` and forgets the
    least recently read one at a time (it used to rebuild itself on every read past 10,000)."""
    cache = QueuePositions(keep_seconds=60.0, timer=lambda: 100.0)
    reads: list[str] = []

    async def empty(conn: Any, kind: str, model: str) -> list[tuple[float, float]]:
        reads.append(model)
        return []

    kept = cache._queues
    with patch.object(queue_store, "model_queue", empty):
        async with service.ctx.db.read() as conn:
            for i in range(MAX_QUEUES + 50):
                await cache._queue(conn, "image", f"model-{i}")
            assert len(cache._queues) == MAX_QUEUES and cache._queues is kept  # trimmed in place, never rebuilt
            await cache._queue(conn, "image", f"model-{MAX_QUEUES + 49}")  # the newest: still kept
            await cache._queue(conn, "image", "model-0")  # the oldest: forgotten, read again
    assert reads[-1] == "model-0" and reads.count(f"model-{MAX_QUEUES + 49}") == 1
