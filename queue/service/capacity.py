"""A few-seconds-old snapshot of the online workers: who serves which model, how fast. Cheap to ask, often.

Per process, and never older than ``MAX_AGE_SECONDS``: a worker that comes online through another node counts
here (for "is anyone serving this model", ETAs, the status pages and ``/metrics``) within that time. A change
through this process (a worker's first pop, a pause) is seen at once (``invalidate``)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from horde.queue.service.context import Context
from horde.queue.service.single_flight import Kept, SingleFlight, kept_or_read
from horde.queue.store import queue as queue_store, workers as worker_store
from horde.queue.store.rows import WorkerRow

MAX_AGE_SECONDS = 5.0  #: the oldest snapshot of the online workers a process answers from
DEFAULT_THINGS_PER_SECOND = {"image": 1.0, "text": 10.0}  #: megapixelsteps/s or tokens/s when nothing is measured


@dataclasses.dataclass(frozen=True)
class OnlineWorker:
    id: str
    kind: str
    models: frozenset[str]
    max_pixels: int
    nsfw: bool
    threads: int
    things_per_second: float
    maintenance: bool


@dataclasses.dataclass
class Snapshot:
    taken_at: dt.datetime
    workers: list[OnlineWorker]
    queued: dict[str, int] = dataclasses.field(default_factory=dict)  #: kind → jobs waiting

    def serving(self, kind: str, models: list[str] | tuple[str, ...], pixels: int = 0) -> list[OnlineWorker]:
        wanted = set(models)
        return [
            w
            for w in self.workers
            if w.kind == kind
            and not w.maintenance
            and (not wanted or wanted & w.models)
            and (kind != "image" or w.max_pixels >= pixels)
        ]

    def throughput(self, kind: str, models: list[str] | tuple[str, ...]) -> float:
        serving = self.serving(kind, models)
        return sum(w.things_per_second * max(1, w.threads) for w in serving)

    def threads(self, kind: str) -> int:
        return sum(w.threads for w in self.workers if w.kind == kind)


def things_per_second(row: WorkerRow) -> float:
    if row.seconds_busy > 0 and row.things_done > 0:
        return float(row.things_done / row.seconds_busy)
    return DEFAULT_THINGS_PER_SECOND.get(row.kind, 1.0)


class Capacity:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._kept: Kept[Snapshot] | None = None
        self._flight: SingleFlight[Kept[Snapshot]] = SingleFlight()

    def invalidate(self) -> None:
        self._kept = None

    async def snapshot(self) -> Snapshot:
        """The snapshot, at most ``MAX_AGE_SECONDS`` old (taken again by one caller at a time: ``SingleFlight``)."""
        now = self.ctx.clock()
        kept = await kept_or_read(self._flight, "capacity", self._kept, now.timestamp(), lambda: self._take(now))
        return kept.value

    async def _take(self, now: dt.datetime) -> Kept[Snapshot]:
        since = now - dt.timedelta(seconds=self.ctx.settings.stale_worker_seconds)
        async with self.ctx.db.read() as conn:
            rows = await worker_store.listing(conn, online_since=since)
            queued = {kind: await queue_store.queued_jobs(conn, kind) for kind in ("image", "text")}
        workers = [
            OnlineWorker(
                id=row.id,
                kind=row.kind,
                models=frozenset(row.models),
                max_pixels=row.max_pixels,
                nsfw=row.nsfw,
                threads=row.threads,
                things_per_second=things_per_second(row),
                maintenance=row.maintenance or row.paused,
            )
            for row in rows
        ]
        self._kept = Kept(Snapshot(taken_at=now, workers=workers, queued=queued), now.timestamp(), MAX_AGE_SECONDS)
        return self._kept
