from __future__ import annotations

import asyncio

import pytest

from horde.queue import clock, errors
from horde.queue.dto import SweepReport
from horde.queue.service import HordeService, SubmitAsk
from horde.queue.service.sweeps import Sweeps
from horde.queue.store import locks
from tests.factories import ask_image, make_user, pop, webp_bytes


async def test_anonymous_results_expire_and_their_files_go(
    service: HordeService, frozen_clock: clock.FrozenClock
) -> None:
    anon = service.users.anonymous(ip="10.1.1.1")
    owner = await make_user(service, "owner")
    created = await ask_image(service, anon)
    job = await pop(service, owner)
    await service.workers.submit(owner, SubmitAsk(job.ids[0], image=webp_bytes()))
    key = service.workers.result_key(job.ids[0])
    assert await service.ctx.results.load(key) is not None
    frozen_clock.advance(service.ctx.settings.request_expiry_seconds + 1)
    assert (await service.sweeps.run_once()).expired == 1
    with pytest.raises(errors.RequestNotFoundError):
        await service.requests.status(anon, created.id)
    assert await service.ctx.results.load(key) is None


async def test_gallery_results_stay_but_unserved_requests_stop_waiting(
    service: HordeService, frozen_clock: clock.FrozenClock
) -> None:
    user = await make_user(service, "keeper", kudos=100)
    owner = await make_user(service, "owner")
    served = await ask_image(service, user)
    job = await pop(service, owner)
    await service.workers.submit(owner, SubmitAsk(job.ids[0], image=webp_bytes()))
    unserved = await ask_image(service, user, models=("nobody-serves-this",))
    frozen_clock.advance(service.ctx.settings.request_expiry_seconds + 1)
    await service.sweeps.run_once()
    assert (await service.requests.status(user, served.id)).finished == 1
    stopped = await service.requests.status(user, unserved.id)
    assert stopped.state == "expired"
    assert stopped.waiting == 0
    assert stopped.queue_position == 0


async def test_only_one_node_sweeps(service: HordeService, frozen_clock: clock.FrozenClock) -> None:
    """Two nodes on one database: while one holds the sweep lock, the other's sweep does nothing."""
    requester = await make_user(service, "req")
    owner = await make_user(service, "owner")
    await ask_image(service, requester)
    first = await pop(service, owner)
    frozen_clock.advance(first.ttl + 1)
    other_node = HordeService.open(service.ctx.settings, clock=frozen_clock)
    try:
        async with locks.leader(service.ctx.db) as is_leader:
            assert is_leader
            report = await other_node.sweeps.run_once()
            assert (report.requeued, report.led) == (0, False)  # SQLite too: processes share the file
        assert (await other_node.sweeps.run_once()).requeued == 1
    finally:
        await other_node.close()


async def test_a_request_with_a_job_out_outlives_its_expiry_and_its_result_keeps_it(
    service: HordeService, frozen_clock: clock.FrozenClock
) -> None:
    """A claim writes nothing to its request: the sweep leaves a request alone while a worker holds one of its
    jobs, and the result moves the request's expiry to a full expiry time after it came."""
    requester = service.users.anonymous(ip="10.1.1.2")  # not kept in a gallery
    owner = await make_user(service, "owner")
    created = await ask_image(service, requester)
    expiry = service.ctx.settings.request_expiry_seconds
    frozen_clock.advance(expiry - 10)
    job = await pop(service, owner)
    frozen_clock.advance(20)  # past the request's expiry, within the job's time
    assert job.ttl > 20
    assert (await service.sweeps.run_once()).expired == 0
    await service.workers.submit(owner, SubmitAsk(job.ids[0], image=webp_bytes()))
    frozen_clock.advance(expiry - 1)
    assert (await service.sweeps.run_once()).expired == 0
    assert (await service.requests.status(requester, created.id)).finished == 1
    frozen_clock.advance(2)
    assert (await service.sweeps.run_once()).expired == 1


async def test_the_sweep_loop_stops_when_cancelled_even_if_the_driver_turns_the_cancel_into_an_error(
    service: HordeService,
) -> None:
    """asyncpg answers a cancel during a query with "the connection is closed" (an InterfaceError): the loop must
    still stop, or a server's shutdown waits for ever (it did, in tests/api/test_metrics.py on PostgreSQL)."""
    started = asyncio.Event()

    class CancelledMidQuery(Sweeps):
        async def run_once(self) -> SweepReport:
            started.set()
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                raise RuntimeError("cannot call Transaction.__aexit__(): the connection is closed") from None
            return SweepReport()

    sweeps = CancelledMidQuery(service.ctx, service.workers, service.alchemists)
    task = asyncio.create_task(sweeps.run_forever(interval=0.01))
    await asyncio.wait_for(started.wait(), 5)
    task.cancel()
    await asyncio.wait({task}, timeout=5)
    try:
        assert task.cancelled()  # it stopped as asked (before, it logged "sweep failed" and swept on for ever)
    finally:
        task.cancel()  # a loop that went on must not outlive the test
