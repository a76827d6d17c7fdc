"""What the online workers offer beyond models: the post-processors image workers run and the forms alchemists
serve, so pages offer only what some worker can do now. Read at most once per ``MAX_AGE_SECONDS`` per process."""

from __future__ import annotations

import dataclasses
import datetime as dt

from horde.queue.domain import alchemy
from horde.queue.domain.jobs import GenerationKind
from horde.queue.service.context import Context
from horde.queue.store import workers as worker_store
from horde.queue.store.rows import WorkerRow

MAX_AGE_SECONDS = 5.0  #: the oldest answer this cache gives


@dataclasses.dataclass(frozen=True)
class Offers:
    post_processors: frozenset[str]  #: run by some online image worker
    forms: frozenset[str]  #: served by some online alchemist


def post_processors_of(row: WorkerRow) -> frozenset[str]:
    """The post-processors a worker runs: those it listed, or all of them when it allows post-processing and
    lists none (AI Horde's workers)."""
    caps = row.capabilities or {}
    if not caps.get("post_processing", True):
        return frozenset()
    listed = caps.get("post_processors")
    return alchemy.POST_PROCESSORS if listed is None else frozenset(listed) & alchemy.POST_PROCESSORS


class OfferBoard:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._kept: tuple[dt.datetime, Offers] | None = None

    async def current(self) -> Offers:
        now = self.ctx.clock()
        if self._kept is not None and 0 <= (now - self._kept[0]).total_seconds() < MAX_AGE_SECONDS:
            return self._kept[1]
        since = now - dt.timedelta(seconds=self.ctx.settings.stale_worker_seconds)
        async with self.ctx.db.read() as conn:
            rows = [r for r in await worker_store.listing(conn, online_since=since) if not (r.paused or r.maintenance)]
        offers = Offers(
            post_processors=frozenset().union(
                *(post_processors_of(r) for r in rows if r.kind == GenerationKind.IMAGE.value)
            ),
            forms=frozenset(
                m for r in rows if r.kind == GenerationKind.INTERROGATION.value for m in r.models if m in alchemy.FORMS
            ),
        )
        self._kept = (now, offers)
        return offers
