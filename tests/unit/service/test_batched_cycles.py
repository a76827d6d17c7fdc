"""Pops and submits that arrive together are carried out as one batch (``service.coalescer``): each still gets
exactly what it would have got alone, one caller's error stays its own, and kudos move exactly once."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from collections import Counter
from typing import Any

import pytest
from PIL import Image

from horde.queue import clock as clock_mod, dto, errors
from horde.queue.domain.jobs import ResultState
from horde.queue.domain.roles import Role
from horde.queue.service import HordeService, PopAsk, SubmitAsk, pops
from horde.queue.store import jobs as job_store, ledger, workers as worker_store
from tests.factories import ask_image, make_user, pop


def webp() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), "blue").save(buf, "WEBP")
    return buf.getvalue()


async def balances(service: HordeService, *actors: object) -> list[float]:
    return [(await service.users.me(a)).kudos for a in actors]  # type: ignore[arg-type]


async def test_workers_of_one_batch_share_a_request_and_each_job_goes_once(service: HordeService) -> None:
    requester = await make_user(service, "req", kudos=1000)
    owner = await make_user(service, "owner", role=Role.TRUSTED)
    created = await ask_image(service, requester, params={"width": 64, "height": 64, "steps": 4, "n": 3})
    popped = await asyncio.gather(*(pop(service, owner, name=f"w{i}") for i in range(5)))
    got = [job for job in popped if job.found]
    assert len(got) == 3 and sum(not job.found for job in popped) == 2
    assert len({job.ids[0] for job in got}) == 3
    assert {job.request_id for job in got} == {created.id}
    status = await service.requests.status(requester, created.id)
    assert (status.waiting, status.processing, status.queue_position) == (0, 3, 0)

    before = await balances(service, requester, owner)
    results = await asyncio.gather(*(service.workers.submit(owner, SubmitAsk(job.ids[0], image=webp())) for job in got))
    after = await balances(service, requester, owner)
    status = await service.requests.status(requester, created.id)
    assert status.done and status.finished == 3
    assert after[1] - before[1] == pytest.approx(sum(r.reward for r in results))
    history = await service.kudos.history(requester)
    charges = [e for e in history if e.kind == "request_charge"]
    assert len(charges) == 3
    assert before[0] - after[0] == pytest.approx(-sum(e.amount for e in charges))


async def test_a_batch_gives_the_best_request_to_the_first_worker_and_the_next_to_the_second(
    service: HordeService,
) -> None:
    """One batch, carried out directly: concurrent pops only share a batch under load (on PostgreSQL two may run
    side by side, each alone, and then either may win the best request)."""
    poor = await make_user(service, "poor", kudos=0)
    rich = await make_user(service, "rich", kudos=5000)
    owner = await make_user(service, "owner")
    low = await ask_image(service, poor)
    high = await ask_image(service, rich)
    batch = [pops.Pop(owner, PopAsk(name=name, models=("tiny",)), name, ["tiny"]) for name in ("a", "b")]
    first, second = await service.workers.pops._pop_all(batch)
    assert isinstance(first, dto.PoppedJob) and isinstance(second, dto.PoppedJob)
    assert (first.request_id, second.request_id) == (high.id, low.id)


async def test_one_pop_failing_in_a_batch_fails_alone(service: HordeService) -> None:
    requester = await make_user(service, "req", kudos=1000)
    owner = await make_user(service, "owner")
    thief = await make_user(service, "thief")
    await pop(service, owner, name="taken")  # registers the name to owner
    await ask_image(service, requester, params={"width": 64, "height": 64, "steps": 4, "n": 2})
    results = await asyncio.gather(
        pop(service, thief, name="taken"),
        pop(service, owner, name="taken"),
        pop(service, owner, name="other"),
        return_exceptions=True,
    )
    assert isinstance(results[0], errors.WrongCredentialsError)
    assert all(not isinstance(r, BaseException) and r.found for r in results[1:])


async def test_one_worker_popping_twice_at_once_gets_two_jobs_one_after_the_other(service: HordeService) -> None:
    requester = await make_user(service, "req", kudos=1000)
    owner = await make_user(service, "owner")
    await ask_image(service, requester, params={"width": 64, "height": 64, "steps": 4, "n": 2})
    first, second = await asyncio.gather(pop(service, owner, name="w"), pop(service, owner, name="w"))
    assert first.found and second.found and first.ids != second.ids
    [worker] = await service.workers.listing(None)
    assert worker.name == "w"


async def test_a_worker_whose_best_candidate_does_not_fit_looks_further(service: HordeService) -> None:
    requester = await make_user(service, "req", kudos=5000)
    owner = await make_user(service, "owner")
    await ask_image(service, requester, params={"width": 1024, "height": 1024, "steps": 10})  # first in line
    small = await ask_image(service, requester)
    small_only, big_too = await asyncio.gather(
        pop(service, owner, name="small", max_pixels=64 * 64), pop(service, owner, name="big", max_pixels=1024 * 1024)
    )
    assert small_only.request_id == small.id
    assert big_too.found and big_too.request_id != small.id
    nothing = await pop(service, owner, name="small", max_pixels=64 * 64)
    assert not nothing.found and nothing.skipped == {}


async def test_skip_counts_come_back_from_a_batch(service: HordeService) -> None:
    requester = await make_user(service, "req", kudos=5000)
    owner = await make_user(service, "owner")
    await ask_image(service, requester, params={"width": 1024, "height": 1024, "steps": 10})
    one, two = await asyncio.gather(
        pop(service, owner, name="a", max_pixels=512 * 512), pop(service, owner, name="b", max_pixels=512 * 512)
    )
    assert one.skipped == two.skipped == {"max_pixels": 1}


async def test_a_job_submitted_twice_at_once_is_paid_once(service: HordeService) -> None:
    requester = await make_user(service, "req", kudos=1000)
    owner = await make_user(service, "owner")
    await ask_image(service, requester)
    job = await pop(service, owner)
    first, second = await asyncio.gather(
        service.workers.submit(owner, SubmitAsk(job.ids[0], image=webp())),
        service.workers.submit(owner, SubmitAsk(job.ids[0], image=webp())),
    )
    assert first.reward == second.reward > 0
    assert sorted([first.duplicate, second.duplicate]) == [False, True]
    history = await service.kudos.history(owner)
    assert [e.kind for e in history].count("worker_reward") == 1


async def test_a_batch_of_submits_mixes_results_faults_and_errors(service: HordeService) -> None:
    requester = await make_user(service, "req", kudos=1000)
    owner = await make_user(service, "owner", role=Role.TRUSTED)
    other = await make_user(service, "other")
    await ask_image(service, requester, params={"width": 64, "height": 64, "steps": 4, "n": 3})
    jobs = await asyncio.gather(*(pop(service, owner, name=f"w{i}") for i in range(3)))
    done, faulted, stolen = (job.ids[0] for job in jobs)
    results = await asyncio.gather(
        service.workers.submit(owner, SubmitAsk(done, image=webp())),
        service.workers.submit(owner, SubmitAsk(faulted, state=ResultState.FAULTED)),
        service.workers.submit(other, SubmitAsk(stolen, image=webp())),
        service.workers.submit(owner, SubmitAsk("00000000-0000-4000-8000-000000000000", image=webp())),
        return_exceptions=True,
    )
    assert not isinstance(results[0], BaseException) and results[0].reward > 0
    assert not isinstance(results[1], BaseException) and results[1].reward == 0
    assert isinstance(results[2], errors.WrongCredentialsError)
    assert isinstance(results[3], errors.InvalidJobIdError)
    again = await pop(service, owner, name="w0")  # the faulted job is back in the queue
    assert again.ids == (faulted,)
    # the other user's attempt changed nothing: the rightful owner still finishes the job
    assert (await service.workers.submit(owner, SubmitAsk(stolen, image=webp()))).reward > 0


async def test_many_concurrent_cycles_conserve_kudos(service: HordeService) -> None:
    requesters = [await make_user(service, f"req{i}", kudos=2000) for i in range(3)]
    owners = [await make_user(service, f"owner{i}", role=Role.TRUSTED) for i in range(2)]
    for i in range(12):
        await ask_image(service, requesters[i % 3], params={"width": 64, "height": 64, "steps": 4, "n": 2})
    everyone = [*requesters, *owners]
    before = sum(await balances(service, *everyone))

    async def worker(i: int) -> list[str]:
        done = []
        while (job := await pop(service, owners[i % 2], name=f"w{i}")).found:
            await service.workers.submit(owners[i % 2], SubmitAsk(job.ids[0], image=webp()))
            done.append(job.ids[0])
        return done

    finished = [job_id for ids in await asyncio.gather(*(worker(i) for i in range(8))) for job_id in ids]
    assert len(finished) == 24 and max(Counter(finished).values()) == 1
    after = sum(await balances(service, *everyone))
    async with service.ctx.db.read() as conn:
        in_ledger = sum([await ledger.sum_for_user(conn, user.user_id) for user in everyone])
    # requesters paid what owners earned plus the horde's tax and burns (none created), and every balance is the
    # sum of its ledger entries
    assert after < before
    assert after == pytest.approx(in_ledger / 1000)


@pytest.mark.pg
async def test_two_nodes_popping_at_once_claim_each_job_once(service: HordeService) -> None:
    """Two services on one PostgreSQL database, as two app nodes: their batches' claims skip each other's rows."""
    if service.ctx.db.is_sqlite:
        pytest.skip("one SQLite file has one writer process")
    second = HordeService.open(service.ctx.settings, clock=service.ctx.clock)
    try:
        requesters = [await make_user(service, f"req{i}", kudos=10_000) for i in range(2)]
        owners = [await make_user(service, f"owner{i}", role=Role.TRUSTED) for i in range(4)]
        for i in range(8):
            await ask_image(service, requesters[i % 2], params={"width": 64, "height": 64, "steps": 4, "n": 4})
        popped = await asyncio.gather(
            *(pop(service if i % 2 else second, owners[i % 4], name=f"w{i}") for i in range(48))
        )
        claimed = [job_id for job in popped for job_id in job.ids]
        assert len(claimed) == 32 and max(Counter(claimed).values()) == 1
    finally:
        await second.close()


async def test_another_users_submit_writes_no_result(service: HordeService) -> None:
    """A job id is no secret (requesters see them): a submit that fails its checks must not touch the stored
    result, before the job is done or after."""
    requester = await make_user(service, "req", kudos=1000)
    owner = await make_user(service, "owner")
    intruder = await make_user(service, "intruder")
    await ask_image(service, requester)
    job = await pop(service, owner)
    key = service.workers.result_key(job.ids[0])
    with pytest.raises(errors.WrongCredentialsError):
        await service.workers.submit(intruder, SubmitAsk(job.ids[0], image=b"forged"))
    assert await service.ctx.results.load(key) is None
    mine = webp()
    await service.workers.submit(owner, SubmitAsk(job.ids[0], image=mine))
    with pytest.raises(errors.WrongCredentialsError):
        await service.workers.submit(intruder, SubmitAsk(job.ids[0], image=b"forged"))
    assert await service.ctx.results.load(key) == mine


async def test_a_worker_saying_nothing_new_is_recorded_every_few_seconds_and_loses_no_uptime(
    service: HordeService, frozen_clock: clock_mod.FrozenClock
) -> None:
    owner = await make_user(service, "owner")
    await pop(service, owner, name="w")
    registered = await recorded(service, "w")
    frozen_clock.advance(1)
    await pop(service, owner, name="w")
    assert await recorded(service, "w") == registered  # nothing new: no write
    frozen_clock.advance(pops.CHECK_IN_EVERY)
    await pop(service, owner, name="w")
    later = await recorded(service, "w")
    assert later.last_check_in == registered.last_check_in + dt.timedelta(seconds=1 + pops.CHECK_IN_EVERY)
    assert later.uptime_seconds == pytest.approx(1 + pops.CHECK_IN_EVERY)  # the skipped second is counted
    frozen_clock.advance(1)
    await pop(service, owner, name="w", models=("tiny", "other"))  # something new: written at once
    changed = await recorded(service, "w")
    assert changed.models == ["tiny", "other"] and changed.uptime_seconds == pytest.approx(2 + pops.CHECK_IN_EVERY)


async def recorded(service: HordeService, name: str) -> Any:
    async with service.ctx.db.read() as conn:
        return await worker_store.by_name(conn, name)


async def test_a_claim_locks_only_the_jobs_it_takes(service: HordeService) -> None:
    """PostgreSQL: while one transaction holds its claim on one job of a request, another transaction's claim on
    the same request picks one of the other jobs (it is not left with every queued job locked and skipped)."""
    if service.ctx.db.is_sqlite:
        pytest.skip("SQLite has one writer: claims never run side by side")
    requester = await make_user(service, "req", kudos=1000)
    owner = await make_user(service, "owner")
    created = await ask_image(service, requester, params={"width": 64, "height": 64, "steps": 4, "n": 3})
    first_worker = await pop(service, owner, name="a", models=("other",))  # registers two workers, no jobs
    await pop(service, owner, name="b", models=("other",))
    assert not first_worker.found
    async with service.ctx.db.read() as conn:
        a, b = (await worker_store.by_name(conn, "a")), (await worker_store.by_name(conn, "b"))
    assert a is not None and b is not None
    deadline = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    holding, release = asyncio.Event(), asyncio.Event()

    async def first() -> list[list[Any]]:
        async with service.ctx.db.write() as conn:
            got = await job_store.claim_all(conn, [job_store.Claim(created.id, 1, a.id, "tiny", deadline)], deadline)
            holding.set()
            await release.wait()
        return got

    async def second() -> list[list[Any]]:
        async with service.ctx.db.write() as conn:
            return await job_store.claim_all(conn, [job_store.Claim(created.id, 1, b.id, "tiny", deadline)], deadline)

    held = asyncio.ensure_future(first())
    await holding.wait()
    other = asyncio.ensure_future(second())
    await asyncio.sleep(0.2)  # its pick has run; it waits for the request's queue entry, which the first holds
    release.set()
    [mine], [theirs] = await held, await other
    assert len(mine) == 1 and len(theirs) == 1 and mine[0][0] != theirs[0][0]
