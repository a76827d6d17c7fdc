"""Background work the server runs on a timer: re-queue overdue jobs, expire requests and their results (and
paused workers' decoys), pay monthly kudos."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable

from horde.queue import dto
from horde.queue.domain.jobs import RequestState
from horde.queue.service.alchemy_work import AlchemyWork
from horde.queue.service.context import Context
from horde.queue.service.monthly import MonthlyKudos
from horde.queue.service.pops import decoys
from horde.queue.service.workers import WorkerService
from horde.queue.store import jobs as job_store, locks, queue as queue_store, requests as request_store

logger = logging.getLogger(__name__)


class Sweeps:
    def __init__(self, ctx: Context, workers: WorkerService, alchemists: AlchemyWork) -> None:
        self.ctx = ctx
        self.workers = workers
        self.alchemists = alchemists
        self.monthly = MonthlyKudos(ctx)

    async def expire_requests(self) -> int:
        """Remove requests nobody touched within the expiry time (kept gallery requests stay), with their files."""
        now = self.ctx.clock()
        keep_for = self.ctx.settings.gallery_expiry_seconds
        gallery_before = now - dt.timedelta(seconds=keep_for) if keep_for > 0 else None
        async with self.ctx.db.write() as conn:
            rows = await request_store.expired(conn, now, gallery_before=gallery_before)
            ids = [row.id for row in rows]
            keys = [key for row in rows for key in (row.source_image_key, row.source_mask_key) if key]
            for request_id in ids:
                keys += [job.result_key for job in await request_store.jobs_of(conn, request_id) if job.result_key]
            await request_store.delete(conn, ids)
        for key in keys:
            await self.ctx.results.delete(key)
        if ids:
            logger.info("requests_expired", extra={"action": "requests_expired", "count": len(ids)})
        return len(ids)

    async def stop_unserved(self) -> int:
        """Gallery requests that waited past their expiry stop waiting (their finished images stay)."""
        now = self.ctx.clock()
        async with self.ctx.db.write() as conn:
            ids = await request_store.unserved_kept(conn, now)
            for request_id in ids:
                await job_store.cancel_queued(conn, request_id)
                await request_store.set_state(conn, request_id, RequestState.EXPIRED, now)
            await queue_store.remove(conn, ids)
        return len(ids)

    async def run_once(self) -> dto.SweepReport:
        """One round of every sweep, on the node that holds the sweep lock (others do nothing)."""
        async with locks.leader(self.ctx.db) as is_leader:
            if not is_leader:
                return dto.SweepReport()
            requeued, faulted = await self.workers.requeue_overdue()
            forms_requeued, forms_faulted = await self.alchemists.requeue_overdue()
            requeued, faulted = requeued + forms_requeued, faulted + forms_faulted
            expired = await self.expire_requests() + await self.stop_unserved() + await self.alchemists.expire()
            await decoys.expire(self.ctx, self.ctx.clock())
            await self.monthly.pay_due_hourly()
        return dto.SweepReport(requeued=requeued, faulted=faulted, expired=expired, led=True)

    async def run_forever(
        self, interval: float = 5.0, on_report: Callable[[dto.SweepReport], None] | None = None
    ) -> None:
        """Sweep every ``interval`` seconds until cancelled, handing each round's report to ``on_report`` (metrics).
        A failing sweep is logged and retried."""
        while True:
            try:
                report = await self.run_once()
                if on_report is not None:
                    on_report(report)
            except Exception as exc:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    # a cancel the driver turned into another error (asyncpg: "the connection is closed"): stop
                    raise asyncio.CancelledError from exc
                logger.exception("sweep failed", extra={"action": "sweep_failed"})
            await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def running(
    sweeps: Sweeps, interval: float = 5.0, on_report: Callable[[dto.SweepReport], None] | None = None
) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(sweeps.run_forever(interval, on_report))
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
