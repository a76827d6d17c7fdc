"""Queue positions from a short-lived snapshot of each model's queue.

Counting the requests ahead of one is a scan of the index range ahead of it, so a poll at position 10,000 reads
10,000 index entries, and clients poll every request every second or two. Instead, each model's queue is read
once (rank and work of every entry, an index-only scan) and kept for ``queue_position_cache_seconds`` (1 s by
default); a poll then costs one primary-key lookup and a binary search. Positions and ETAs are at most that old,
as upstream's are. A queue so long that reading it takes a while is kept longer (20× its read time, so that reading
queues never takes more than about 5% of the process), but never beyond ``MAX_AGE_SECONDS`` (or the setting, if
that is longer): no answer ever comes from an older snapshot. One poll reads an aging queue again while the others
answer from the old snapshot until it reaches that age (``single_flight``). With the setting at 0, every poll
counts exactly.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import time
from collections import OrderedDict
from collections.abc import Callable

from horde.queue.service.single_flight import Kept, SingleFlight, kept_or_read
from horde.queue.store import queue as queue_store
from horde.queue.store.connection import Connection

KEEP_FACTOR = 20  #: a queue is kept this many times as long as reading it took (when that exceeds the setting)
MAX_AGE_SECONDS = 10.0  #: however slow a queue is to read, no position comes from a snapshot older than this
MAX_QUEUES = 10_000  #: model queues kept at once; the least recently read goes first (models come from users)


@dataclasses.dataclass(frozen=True)
class _Queue:
    """One model's queue, best first: negated ranks (ascending, for bisect) and the running sum of work."""

    neg_ranks: list[float]
    work_before: list[float]  #: work_before[i]: the work of the i entries ahead of entry i

    def ahead_of(self, rank: float) -> tuple[int, float]:
        i = bisect.bisect_left(self.neg_ranks, -rank)  # entries with a higher rank
        return i, self.work_before[i]


class QueuePositions:
    def __init__(self, keep_seconds: float, timer: Callable[[], float] = time.monotonic) -> None:
        self.keep_seconds = keep_seconds
        self.timer = timer
        self._queues: OrderedDict[tuple[str, str], Kept[_Queue]] = OrderedDict()
        self._flight: SingleFlight[Kept[_Queue]] = SingleFlight()

    def max_age(self, read_seconds: float) -> float:
        """How long a queue that took ``read_seconds`` to read is kept."""
        return max(self.keep_seconds, min(KEEP_FACTOR * read_seconds, MAX_AGE_SECONDS))

    async def position(self, conn: Connection, request_id: str) -> tuple[int, float]:
        """(requests ahead, work ahead in things) in the shortest of the request's model queues; (0, 0) if gone."""
        if self.keep_seconds <= 0:
            return await queue_store.position(conn, request_id)
        best: tuple[int, float] | None = None
        for kind, model, rank in await queue_store.entries_of(conn, request_id):
            ahead = (await self._queue(conn, kind, model)).ahead_of(rank)
            if best is None or ahead[0] < best[0]:
                best = ahead
        return best or (0, 0.0)

    async def _queue(self, conn: Connection, kind: str, model: str) -> _Queue:
        """The model's queue: the kept snapshot while it is fresh, else read again (by one caller at a time:
        ``SingleFlight``)."""
        key = (kind, model)
        now = self.timer()
        kept = await kept_or_read(
            self._flight, key, self._queues.get(key), now, lambda: self._read(conn, kind, model, now)
        )
        return kept.value

    async def _read(self, conn: Connection, kind: str, model: str, now: float) -> Kept[_Queue]:
        entries = await queue_store.model_queue(conn, kind, model)
        took = self.timer() - now
        queue = _Queue(
            neg_ranks=[-rank for rank, _ in entries],
            work_before=[0.0, *itertools.accumulate(work for _, work in entries)],
        )
        fresh = Kept(queue, now, self.max_age(took))
        self._queues[(kind, model)] = fresh
        self._queues.move_to_end((kind, model))
        while len(self._queues) > MAX_QUEUES:  # one or two at a time: the cost per read stays flat
            self._queues.popitem(last=False)
        return fresh
