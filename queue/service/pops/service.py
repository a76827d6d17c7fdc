"""``PopService``: a worker checks in and is handed the best waiting job it can do.

Pops that arrive together are carried out together (``coalescer``): one transaction, the workers read and checked
in with one statement each, one queue read for all of them, the claims made together (``jobs.claim_all``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter

from horde.queue import dto, errors
from horde.queue.service import escrow
from horde.queue.service.capacity import Capacity
from horde.queue.service.coalescer import Coalescer, in_flight
from horde.queue.service.context import Context
from horde.queue.service.pops import decoys
from horde.queue.service.pops.asks import Pop, PopAsk, Worker, checked, profile
from horde.queue.service.pops.check_in import CheckIns
from horde.queue.service.pops.matcher import Matcher, Planned, Ready, Request, likely_picks, nothing, popped, views_of
from horde.queue.store import (
    jobs as job_store,
    ledger,
    queue as queue_store,
    requests as request_store,
    workers as worker_store,
)
from horde.queue.store.connection import Connection

logger = logging.getLogger(__name__)


class PopService:
    def __init__(self, ctx: Context, capacity: Capacity) -> None:
        self.ctx = ctx
        self.check_ins = CheckIns(ctx, capacity)
        self.matcher = Matcher(ctx)
        self._pops: Coalescer[Pop, dto.PoppedJob] = Coalescer(self._pop_all, in_flight=in_flight(ctx))

    async def pop(self, actor: dto.Actor, ask: PopAsk) -> dto.PoppedJob:
        """Check the worker in, then hand it the best waiting job it can do (or nothing, with skip counts).

        Pops that arrive together are carried out together (``_pop_all``)."""
        if actor.is_anonymous:
            raise errors.AnonForbiddenError("Anonymous users cannot run workers; register for an API key.")
        if actor.flagged:
            raise errors.FlaggedError
        name, models = checked(ask)
        result = await self._pops(name, Pop(actor, ask, name, list(models)))
        if result.found:
            logger.info("job_claimed", extra={"action": "job_claimed", "job_id": result.ids[0], "worker": name})
        return result

    async def _pop_all(self, pops: list[Pop]) -> list[dto.PoppedJob | BaseException]:
        """A batch of pops in one write transaction: the workers are read in one statement and checked in with
        one more, their candidates come from one queue read, and the claims are made together (``claim_all``)."""
        now = self.ctx.clock()
        results: list[dto.PoppedJob | BaseException | None] = [None] * len(pops)
        async with self.ctx.db.write() as conn:
            uptime: list[ledger.Entry] = []
            ready, places = await self._check_in_all(conn, pops, now, results, uptime)
            found = await self._match_all(conn, ready, now)
            # uptime rewards last: the users' rows are locked after the workers', the jobs' and the requests', in
            # the order a submit locks them
            await ledger.append_all(conn, await escrow.hold(conn, uptime, self.ctx.settings, now), now=now)
        for i, one, result in zip(places, ready, found, strict=True):
            if one.worker.maintenance and not result.found:
                results[i] = errors.WorkerMaintenanceError(one.worker.maintenance_msg or None)
            else:
                results[i] = result
        return [r for r in results if r is not None]

    async def _check_in_all(
        self, conn: Connection, pops: list[Pop], now: dt.datetime, results: list[dto.PoppedJob | BaseException | None],
        uptime: list[ledger.Entry],
    ) -> tuple[list[Ready], list[int]]:  # fmt: skip
        """Register or check in every worker of a batch (one statement for all the check-ins); a pop whose worker
        is refused gets its error in ``results``. The workers ready to match, and their places in the batch."""
        known = await worker_store.by_names(conn, [p.name for p in pops])
        check_ins: list[worker_store.CheckIn] = []
        ready: list[Ready] = []
        places: list[int] = []
        for i, pop in enumerate(pops):
            try:
                worker: Worker | None = known.get(pop.name)
                fresh: Worker | None = None
                if worker is None:
                    worker, fresh = await self.check_ins.register(conn, pop, now)
                if fresh is not None:
                    worker = fresh
                elif worker is not None and (check_in := self.check_ins.check_in(pop, worker, now, uptime)):
                    check_ins.append(check_in)
            except errors.HordeError as exc:
                results[i] = exc
                continue
            if worker is None:  # pragma: no cover - registered or found above
                raise errors.WorkerNotFoundError
            ready.append(Ready(pop, worker, profile(pop, worker.id)))
            places.append(i)
        await worker_store.check_in_all(conn, check_ins)
        return ready, places

    async def _match_all(self, conn: Connection, ready: list[Ready], now: dt.datetime) -> list[dto.PoppedJob]:
        """Find and claim a job for each worker of a batch, in the batch's order (``matcher``)."""
        # a paused worker gets decoys, never a real job (``decoys``)
        results = {k: await decoys.hand_out(conn, self.matcher, one, now) for k, one in enumerate(ready) if one.worker.paused}  # fmt: skip
        planned: list[Planned] = []
        slow = [k for k, one in enumerate(ready) if one.needs_more and k not in results]
        fast = [k for k, one in enumerate(ready) if not one.needs_more]
        for kind in sorted({ready[k].pop.ask.kind.value for k in fast}):
            group = [k for k in fast if ready[k].pop.ask.kind.value == kind]
            await self._plan(conn, kind, group, ready, now, planned, results, slow)
        if planned:
            handed = await job_store.claim_all(conn, [plan.claim for plan in planned], now)
            for plan, claimed in zip(planned, handed, strict=True):
                if claimed:
                    results[plan.place] = popped(plan.request, claimed, plan.claim.model, plan.ttl)
                else:  # another node's pop took them first
                    slow.append(plan.place)
        for k in slow:
            results[k] = await self.matcher.find_and_claim(conn, ready[k], now)
        return [results[k] for k in range(len(ready))]  # every place is filled: by the fast path or the slow one

    async def _plan(
        self, conn: Connection, kind: str, group: list[int], ready: list[Ready], now: dt.datetime,
        planned: list[Planned], results: dict[int, dto.PoppedJob], slow: list[int],
    ) -> None:  # fmt: skip
        """Plan the claims of a batch's workers of one kind from one queue read; a worker that found nothing gets
        its answer in ``results``, one that needs a longer look goes to ``slow``."""
        sharing = Counter(model for k in group for model in ready[k].profile.models)
        # one entry per model is enough when the best fits, as it nearly always does; more where several workers
        # of the batch serve the same model
        per_model = max(sharing.values(), default=1)
        owners = sorted(
            set().union(*(({ready[k].profile.owner_id, *ready[k].pop.ask.priority_user_ids[:10]}) for k in group))
        )
        entries = await queue_store.candidates(
            conn, kind=kind, models=sorted(sharing), owner_ids=owners, per_model=per_model
        )
        views = views_of(group, ready, entries)
        left = {entry.request_id: entry.queued for entry in entries}  # jobs not yet handed to a worker of the batch
        reqs: dict[str, Request] = dict(await request_store.by_ids(conn, likely_picks(group, views, left)))
        for k in group:
            one = ready[k]
            chosen = await self.matcher.choose(conn, one.profile, views[k], reqs, left)
            if isinstance(chosen, Counter):
                cut_short = any(n >= per_model for n in Counter(entry.model for entry in views[k]).values())
                if cut_short:
                    slow.append(k)
                else:
                    results[k] = nothing(one.pop.ask.kind.value, chosen)
                continue
            claim, ttl = self.matcher.claim_for(
                one.worker, one.profile, one.pop.ask, chosen, left[chosen.request.id], now
            )
            left[chosen.request.id] -= claim.count
            planned.append(Planned(k, claim, chosen.request, ttl))
