"""Numbers for the status pages: what is queued and served per model, the horde's load, finished work per period."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

from horde.queue import dto
from horde.queue.service.capacity import Capacity
from horde.queue.service.context import Context
from horde.queue.store import alchemy as alchemy_store, queue as queue_store, stats as stats_store

PERIODS: dict[str, dt.timedelta | None] = {
    "minute": dt.timedelta(minutes=1),
    "hour": dt.timedelta(hours=1),
    "day": dt.timedelta(days=1),
    "month": dt.timedelta(days=30),
    "total": None,
}
NO_SERVER_ETA = 10_000  #: AI Horde's ETA for a model nobody serves


@dataclasses.dataclass(frozen=True)
class Performance:
    queued_requests: int
    queued_text_requests: int
    worker_count: int
    thread_count: int
    text_worker_count: int
    text_thread_count: int
    queued_megapixelsteps: float
    queued_tokens: float
    past_minute_megapixelsteps: float
    past_minute_tokens: float
    interrogator_count: int = 0
    interrogator_thread_count: int = 0
    queued_forms: int = 0


class StatsService:
    def __init__(self, ctx: Context, capacity: Capacity) -> None:
        self.ctx = ctx
        self.capacity = capacity

    async def models(self, kind: str, name: str | None = None) -> list[dto.ModelStatus]:
        """Every model that is served or queued (or just ``name``), with workers, queue and ETA."""
        snap = await self.capacity.snapshot()
        async with self.ctx.db.read() as conn:
            waiting = await queue_store.waiting_by_model(conn, kind)
        served: dict[str, list[tuple[float, int]]] = {}  #: model -> (speed per thread, threads) of each worker
        max_pixels: dict[str, int] = {}
        for worker in snap.workers:
            if worker.kind != kind or worker.maintenance:
                continue
            for model in worker.models:
                served.setdefault(model, []).append((worker.things_per_second, max(1, worker.threads)))
                max_pixels[model] = max(max_pixels.get(model, 0), worker.max_pixels)
        names = (set(served) | {m for m in waiting if m}) if name is None else {name}
        result = []
        for model in sorted(names):
            workers = served.get(model, [])
            threads = sum(count for _, count in workers)
            queued, things = waiting.get(model, (0, 0.0))
            speed = sum(per_thread * count for per_thread, count in workers)
            eta = math.ceil(things / speed) if speed > 0 else (NO_SERVER_ETA if queued else 0)
            result.append(
                dto.ModelStatus(
                    name=model,
                    kind=kind,
                    workers=len(workers),
                    queued=queued,
                    queued_things=round(things, 3),
                    eta=eta,
                    performance=round(speed / threads, 3) if threads else 0.0,
                    threads=threads,
                    max_pixels=max_pixels.get(model, 0),
                )
            )
        return result

    async def performance(self) -> Performance:
        snap = await self.capacity.snapshot()
        since = self.ctx.clock() - dt.timedelta(minutes=1)
        async with self.ctx.db.read() as conn:
            image_jobs = await queue_store.queued_jobs(conn, "image")
            text_jobs = await queue_store.queued_jobs(conn, "text")
            image_waiting = await queue_store.waiting_by_model(conn, "image")
            text_waiting = await queue_store.waiting_by_model(conn, "text")
            _, image_minute = await stats_store.totals(conn, "image", since)
            _, text_minute = await stats_store.totals(conn, "text", since)
            queued_forms = sum((await alchemy_store.waiting_by_form(conn)).values())
        image_workers = [w for w in snap.workers if w.kind == "image"]
        text_workers = [w for w in snap.workers if w.kind == "text"]
        alchemists = [w for w in snap.workers if w.kind == "interrogation"]
        return Performance(
            queued_requests=image_jobs,
            queued_text_requests=text_jobs,
            worker_count=len(image_workers),
            thread_count=sum(w.threads for w in image_workers),
            text_worker_count=len(text_workers),
            text_thread_count=sum(w.threads for w in text_workers),
            queued_megapixelsteps=round(sum(t for _, t in image_waiting.values()), 3),
            queued_tokens=round(sum(t for _, t in text_waiting.values()), 3),
            past_minute_megapixelsteps=round(image_minute, 3),
            past_minute_tokens=round(text_minute, 3),
            interrogator_count=len(alchemists),
            interrogator_thread_count=sum(w.threads for w in alchemists),
            queued_forms=queued_forms,
        )

    async def totals(self, kind: str) -> dict[str, tuple[int, float]]:
        """period -> (finished jobs, megapixelsteps or tokens)."""
        now = self.ctx.clock()
        async with self.ctx.db.read() as conn:
            return {
                period: await stats_store.totals(conn, kind, None if span is None else now - span)
                for period, span in PERIODS.items()
            }

    async def model_totals(self, kind: str) -> dict[str, dict[str, int]]:
        """period (day, month, total) -> model -> finished jobs."""
        now = self.ctx.clock()
        async with self.ctx.db.read() as conn:
            return {
                period: await stats_store.by_model(conn, kind, None if span is None else now - span)
                for period, span in PERIODS.items()
                if period in ("day", "month", "total")
            }
