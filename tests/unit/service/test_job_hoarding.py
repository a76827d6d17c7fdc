"""Job hoarding has a cost (issue 14, defect 9): dropped jobs count against the worker, which is throttled, then
paused; the requests it dropped are served by others, not faulted."""

from __future__ import annotations

from horde.queue.clock import FrozenClock
from horde.queue.domain import drops
from horde.queue.domain.roles import Role
from horde.queue.service import HordeService, SubmitAsk
from horde.queue.store import admin as admin_store, audit, workers as worker_store
from horde.queue.store.rows import WorkerRow
from tests.factories import ask_image, make_user, pop, webp_bytes

PARAMS = {"width": 64, "height": 64, "steps": 4, "n": 4}


async def worker_row(service: HordeService, name: str) -> WorkerRow:
    async with service.ctx.db.read() as conn:
        row = await worker_store.by_name(conn, name)
    assert row is not None
    return row


async def pause_reasons(service: HordeService, worker_id: str) -> list[str]:
    """The reasons the audit log gives for the worker's automatic pauses, newest first."""
    async with service.ctx.db.read() as conn:
        paused = await audit.search(conn, target_type="worker", target_id=worker_id, action="worker_paused")
    return [entry.details["reason"] for entry in paused]


async def test_a_hoarder_is_paused_and_its_victims_are_served_by_others(
    service: HordeService, frozen_clock: FrozenClock
) -> None:
    victims = [await make_user(service, f"victim{i}", kudos=100) for i in range(5)]
    requests = [await ask_image(service, v, params=PARAMS) for v in victims]
    hoarder = await make_user(service, "hoarder", role=Role.TRUSTED)
    held = [await pop(service, hoarder, name="hoard", amount=20, max_pixels=65536) for _ in range(5)]
    assert sum(len(job.ids) for job in held) == 20

    frozen_clock.advance(max(job.ttl for job in held) + 1)
    report = await service.sweeps.run_once()
    assert (report.requeued, report.faulted) == (20, 0)  # one bad worker faults nobody's request

    row = await worker_row(service, "hoard")
    assert row.paused and row.jobs_aborted == 20
    assert row.maintenance_msg is None  # the worker is never told why: the moderators are, once
    assert await pause_reasons(service, row.id) == [f"{drops.PAUSE_AT} jobs dropped within an hour"]
    # paused, it gets decoys (``test_decoys.py``), never a real job again
    assert (await pop(service, hoarder, name="hoard", amount=20, max_pixels=65536)).request_id is None

    honest = await make_user(service, "honest", role=Role.TRUSTED)
    for _ in range(5):
        job = await pop(service, honest, name="fair", amount=4, max_pixels=65536)
        for job_id in job.ids:
            await service.workers.submit(honest, SubmitAsk(job_id=job_id, image=webp_bytes()))
    for victim, created in zip(victims, requests, strict=True):
        assert (await service.requests.status(victim, created.id, with_generations=False)).done


async def test_a_worker_that_drops_a_few_jobs_gets_one_at_a_time(
    service: HordeService, frozen_clock: FrozenClock
) -> None:
    asker = await make_user(service, "asker", kudos=1000)
    for _ in range(3):
        await ask_image(service, asker, params=PARAMS)
    owner = await make_user(service, "sloppy", role=Role.TRUSTED)
    first = await pop(service, owner, name="sloppy-1", amount=drops.THROTTLE_AT, max_pixels=65536)
    assert len(first.ids) == drops.THROTTLE_AT
    frozen_clock.advance(first.ttl + 1)
    await service.sweeps.run_once()

    throttled = await pop(service, owner, name="sloppy-1", amount=4, max_pixels=65536)
    assert len(throttled.ids) == 1
    assert not (await worker_row(service, "sloppy-1")).paused

    frozen_clock.advance(drops.WINDOW.total_seconds())  # an hour later the slate is clean
    for job_id in throttled.ids:
        await service.workers.submit(owner, SubmitAsk(job_id=job_id, image=webp_bytes()))
    again = await pop(service, owner, name="sloppy-1", amount=4, max_pixels=65536)
    assert len(again.ids) == 3  # all the request has left, not one at a time


async def test_an_untrusted_hoarder_is_suspected_once_and_its_pause_audited_once(
    service: HordeService, frozen_clock: FrozenClock
) -> None:
    asker = await make_user(service, "asker", kudos=1000)
    for _ in range(4):
        await ask_image(service, asker, params=PARAMS)
    owner = await make_user(service, "newcomer")  # untrusted: its drops are suspicions for the moderators
    held = [await pop(service, owner, name="grabby", amount=4, max_pixels=65536) for _ in range(4)]
    assert sum(len(job.ids) for job in held) == 16
    frozen_clock.advance(max(job.ttl for job in held) + 1)
    await service.sweeps.run_once()  # 16 drops: paused at the tenth, the six after add nothing

    row = await worker_row(service, "grabby")
    assert row.paused and row.jobs_aborted == 16 and row.maintenance_msg is None
    reason = f"{drops.PAUSE_AT} jobs dropped within an hour"
    async with service.ctx.db.read() as conn:
        suspected = await admin_store.suspicions(conn, worker_id=row.id)
    assert [(s.reason, s.detail) for s in suspected] == [("jobs_dropped", reason)]
    assert await pause_reasons(service, row.id) == [reason]
