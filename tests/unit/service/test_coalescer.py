"""The coalescer: a call that finds room runs alone at once; calls that arrive meanwhile form the next batch; keys
never repeat inside a batch nor run twice at once; each caller gets its own item's answer (or the whole batch's
failure)."""

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
        await asyncio.sleep(0)  # as a transaction does: others run meanwhile
        await self.release.wait()
        if self.fail_with is not None:
            raise self.fail_with
        return [ValueError(f"bad {i}") if i < 0 else i * 2 for i in items]


async def test_an_idle_call_runs_alone_and_the_calls_behind_it_form_one_batch() -> None:
    run = Recorder()
    coalesce: Coalescer[int, int] = Coalescer(run)
    results = await asyncio.gather(*(coalesce(i, i) for i in range(5)))
    assert results == [0, 2, 4, 6, 8]
    assert run.batches == [[0], [1, 2, 3, 4]]


async def test_calls_arriving_while_a_batch_runs_form_the_next() -> None:
    run = Recorder()
    run.release.clear()
    coalesce: Coalescer[int, int] = Coalescer(run)
    first = asyncio.ensure_future(coalesce(0, 0))
    await asyncio.sleep(0.01)  # running alone, held
    later = asyncio.gather(*(coalesce(i, i) for i in range(10, 13)))
    await asyncio.sleep(0.01)
    assert run.batches == [[0]]
    run.release.set()
    assert await first == 0
    assert await later == [20, 22, 24]
    assert run.batches == [[0], [10, 11, 12]]


async def test_a_repeated_key_waits_for_the_next_batch() -> None:
    run = Recorder()
    coalesce: Coalescer[int, int] = Coalescer(run)
    results = list(await asyncio.gather(coalesce("a", 1), coalesce("a", 2), coalesce("b", 3), coalesce("a", 4)))
    assert results == [2, 4, 6, 8]
    assert run.batches == [[1], [2, 3], [4]]


async def test_batches_stop_at_the_limit() -> None:
    run = Recorder()
    coalesce: Coalescer[int, int] = Coalescer(run, limit=3)
    await asyncio.gather(*(coalesce(i, i) for i in range(7)))
    assert [len(b) for b in run.batches] == [1, 3, 3]


async def test_an_item_error_is_that_callers_alone() -> None:
    run = Recorder()
    coalesce: Coalescer[int, int] = Coalescer(run)
    results = await asyncio.gather(
        coalesce(0, 0), coalesce(1, 1), coalesce(-1, -1), coalesce(2, 2), return_exceptions=True
    )
    assert results[1] == 2 and results[3] == 4
    assert isinstance(results[2], ValueError) and str(results[2]) == "bad -1"
    assert run.batches == [[0], [1, -1, 2]]


async def test_an_error_of_a_call_running_alone_is_raised_to_it() -> None:
    coalesce: Coalescer[int, int] = Coalescer(Recorder())
    with pytest.raises(ValueError, match="bad -5"):
        await coalesce(0, -5)


async def test_a_failed_batch_fails_each_of_its_callers_and_the_next_batch_still_runs() -> None:
    run = Recorder(fail_with=RuntimeError("the transaction failed"))
    coalesce: Coalescer[int, int] = Coalescer(run)
    results = await asyncio.gather(coalesce(1, 1), coalesce(2, 2), coalesce(3, 3), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    assert run.batches == [[1], [2, 3]]
    run.fail_with = None
    assert await coalesce(4, 4) == 8


async def test_a_caller_cancelled_before_its_batch_starts_is_left_out() -> None:
    run = Recorder()
    run.release.clear()
    coalesce: Coalescer[int, int] = Coalescer(run)
    running = asyncio.ensure_future(coalesce(1, 1))
    await asyncio.sleep(0.01)  # running alone, held
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
    started = asyncio.Event()
    finish = asyncio.Event()
    batches: list[list[int]] = []

    async def run(items: list[int]) -> list[int | BaseException]:
        batches.append(items)
        if len(batches) == 2:
            started.set()
        await finish.wait()
        return [i * 2 for i in items]

    coalesce: Coalescer[int, int] = Coalescer(run)
    first = asyncio.ensure_future(coalesce(0, 0))  # alone, holds the room
    await asyncio.sleep(0.01)
    gone = asyncio.ensure_future(coalesce(1, 1))
    stays = asyncio.ensure_future(coalesce(2, 2))
    await asyncio.sleep(0.01)
    finish.set()
    await started.wait()  # the batch [1, 2] is running
    gone.cancel()
    assert (await first, await stays) == (0, 4)
    assert batches == [[0], [1, 2]]  # the cancelled item was carried out; only its answer was dropped


async def test_with_room_for_two_a_second_call_runs_beside_the_first_but_never_with_a_busy_key() -> None:
    run = Recorder()
    run.release.clear()
    coalesce: Coalescer[int, int] = Coalescer(run, in_flight=2)
    first = asyncio.ensure_future(coalesce("a", 1))
    await asyncio.sleep(0.01)  # running alone, held
    second = asyncio.ensure_future(coalesce("b", 2))
    same_key = asyncio.ensure_future(coalesce("a", 3))
    await asyncio.sleep(0.01)
    assert run.batches == [[1], [2]]  # "b" did not wait; "a" waits for its first call's batch to end
    run.release.set()
    assert (await first, await second, await same_key) == (2, 4, 6)
    assert run.batches == [[1], [2], [3]]


async def test_with_room_for_one_later_calls_wait_for_the_running_batch() -> None:
    run = Recorder()
    run.release.clear()
    coalesce: Coalescer[int, int] = Coalescer(run, in_flight=1)
    first = asyncio.ensure_future(coalesce("a", 1))
    await asyncio.sleep(0.01)
    second = asyncio.ensure_future(coalesce("b", 2))
    await asyncio.sleep(0.01)
    assert run.batches == [[1]]
    run.release.set()
    assert (await first, await second) == (2, 4)
    assert run.batches == [[1], [2]]


async def test_a_call_whose_key_is_busy_waits_without_spinning() -> None:
    run = Recorder()
    run.release.clear()
    coalesce: Coalescer[int, int] = Coalescer(run, in_flight=4)
    first = asyncio.ensure_future(coalesce("a", 1))
    await asyncio.sleep(0.01)
    again = asyncio.ensure_future(coalesce("a", 2))
    await asyncio.sleep(0.01)
    assert coalesce._active == 1  # no task started for a batch that cannot form
    run.release.set()
    assert (await first, await again) == (2, 4)
    assert run.batches == [[1], [2]]
    assert coalesce._active == 0
