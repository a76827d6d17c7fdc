"""64 workers popping at once claim each job exactly once (SQLite's single writer; PostgreSQL's SKIP LOCKED)."""

from __future__ import annotations

import asyncio
from collections import Counter

from horde.queue.domain.roles import Role
from horde.queue.service import HordeService
from horde.queue.store import jobs as job_store, workers as worker_store
from tests.factories import ask_image, make_user, pop


async def test_64_concurrent_pops_claim_each_job_once(service: HordeService) -> None:
    requesters = [await make_user(service, f"req{i}", kudos=10_000) for i in range(3)]
    for i in range(12):  # 12 requests × 4 images = 48 jobs for 64 hungry workers
        await ask_image(service, requesters[i % 3], params={"width": 64, "height": 64, "steps": 4, "n": 4})
    owners = [await make_user(service, f"owner{i}", role=Role.TRUSTED) for i in range(4)]
    popped = await asyncio.gather(*(pop(service, owners[i % 4], name=f"w{i}", amount=1) for i in range(64)))
    claimed = [job_id for job in popped for job_id in job.ids]
    assert len(claimed) == 48
    assert max(Counter(claimed).values()) == 1
    assert sum(not job.found for job in popped) == 16
    # the database agrees: every job is processing, held by the worker that was told it got it
    holders = {job_id: job for job in popped for job_id in job.ids}
    for job_id in claimed:
        async with service.ctx.db.read() as conn:
            row = await job_store.by_id(conn, job_id)
            assert row is not None and row.state == "processing" and row.worker_id is not None
            worker = await worker_store.by_id(conn, row.worker_id)
        assert worker is not None
        assert holders[job_id].request_id == row.request_id


async def test_concurrent_first_pops_of_one_new_worker_register_it_once(service: HordeService) -> None:
    owner = await make_user(service, "owner")
    popped = await asyncio.gather(*(pop(service, owner, name="fresh") for _ in range(8)))
    assert all(not job.found for job in popped)
    workers = await service.workers.listing(None)
    assert [w.name for w in workers] == ["fresh"]
