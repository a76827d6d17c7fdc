"""The coalescer: calls of one turn of the event loop form one batch, keys never repeat inside a batch, and each
caller gets its own item's answer (or the whole batch's failure)."""

from __future__ import annotations

import asyncio

import pytest

from horde.queue.service.coalescer import Coalescer


class Recorder:
    """A batch runner that records each batch and answers each item doubled (or its error, for negatives)."""

    def __init__(self, fail_with: Exception | None = None) -> None:
        self.batches: list[list[int]] = []
        self.fail_with = fail_with
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self, items: list[int]) -> list[int | BaseException]:
        self.batches.append(list(items))
        await self.release.wait()
        if self.fail_with is not None:
            raise self.fail_with
        return [ValueError(f"bad {i}") if i < 0 else i * 2 for i in items]


async def test_calls_of_one_turn_run_as_one_batch() -> None:
    run = Recorder()
    coalesce: Coalescer[int, int] = Coalescer(run)
    results = await asyncio.gather(*(coalesce(i, i) for i in range(5)))
    assert results == [0, 2, 4, 6, 8]
    assert run.batches == [[0, 1, 2, 3, 4]]


async def test_calls_arriving_while_a_batch_runs_form_the_next() -> None:
    run = Recorder()
    run.release.clear()
    coalesce: Coalescer[int, int] = Coalescer(run)
    first = asyncio.gather(*(coalesce(i, i) for i in range(2)))
    await asyncio.sleep(0.01)  # the first batch is running, held
    second = asyncio.gather(*(coalesce(i, i) for i in range(10, 13)))
    await asyncio.sleep(0.01)
    run.release.set()
    assert await first == [0, 2]
    assert await second == [20, 22, 24]
    assert run.batches == [[0, 1], [10, 11, 12]]


async def test_a_repeated_key_waits_for_the_next_batch() -> None:
    run = Recorder()
    coalesce: Coalescer[int, int] = Coalescer(run)
    results = list(await asyncio.gather(coalesce("a", 1), coalesce("a", 2), coalesce("b", 3)))
    assert results == [2, 4, 6]
    assert run.batches == [[1, 3], [2]]


async def test_batches_stop_at_the_limit() -> None:
    run = Recorder()
    coalesce: Coalescer[int, int] = Coalescer(run, limit=3)
    await asyncio.gather(*(coalesce(i, i) for i in range(7)))
    assert [len(b) for b in run.batches] == [3, 3, 1]


async def test_an_item_error_is_that_callers_alone() -> None:
    run = Recorder()
    coalesce: Coalescer[int, int] = Coalescer(run)
    results = await asyncio.gather(coalesce(1, 1), coalesce(-1, -1), coalesce(2, 2), return_exceptions=True)
    assert results[0] == 2 and results[2] == 4
    assert isinstance(results[1], ValueError) and str(results[1]) == "bad -1"


async def test_a_failed_batch_fails_each_of_its_callers_and_the_next_batch_still_runs() -> None:
    run = Recorder(fail_with=RuntimeError("the transaction failed"))
    coalesce: Coalescer[int, int] = Coalescer(run)
    results = await asyncio.gather(coalesce(1, 1), coalesce(2, 2), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    run.fail_with = None
    assert await coalesce(3, 3) == 6


async def test_a_caller_cancelled_before_its_batch_starts_is_left_out() -> None:
    run = Recorder()
    run.release.clear()
    coalesce: Coalescer[int, int] = Coalescer(run)
    running = asyncio.ensure_future(coalesce(1, 1))
    await asyncio.sleep(0.01)  # batch [1] is running, held
    dropped = asyncio.ensure_future(coalesce(2, 2))
    kept = asyncio.ensure_future(coalesce(3, 3))
    await asyncio.sleep(0)
    dropped.cancel()
    run.release.set()
    assert await running == 2
    assert await kept == 6
    with pytest.raises(asyncio.CancelledError):
        await dropped
    assert run.batches == [[1], [3]]


async def test_a_caller_cancelled_while_its_batch_runs_does_not_stop_the_others() -> None:
    run = Recorder()
    run.release.clear()
    coalesce: Coalescer[int, int] = Coalescer(run)
    gone = asyncio.ensure_future(coalesce(1, 1))
    stays = asyncio.ensure_future(coalesce(2, 2))
    await asyncio.sleep(0.01)
    gone.cancel()
    run.release.set()
    assert await stays == 4
    assert run.batches == [[1, 2]]  # the cancelled item was carried out; only its answer was dropped
