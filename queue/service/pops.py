"""Pops: a worker checks in and is handed the best waiting job it can do.

Pops that arrive together are carried out together (``coalescer``): one transaction, the workers read and checked
in with one statement each, one queue read for all of them, the claims made together (``jobs.claim_all``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import re
import uuid
from collections import Counter
from typing import Any, cast

from horde.queue import dto, errors
from horde.queue.domain import kudos as kudos_rules, matching, params as params_mod
from horde.queue.domain.jobs import GenerationKind, RequestState
from horde.queue.domain.roles import Role, at_least
from horde.queue.service.capacity import Capacity
from horde.queue.service.coalescer import Coalescer, in_flight
from horde.queue.service.context import Context
from horde.queue.store import (
    jobs as job_store,
    ledger,
    queue as queue_store,
    requests as request_store,
    workers as worker_store,
)

logger = logging.getLogger(__name__)

FIRST_LOOK = 3
CANDIDATES_PER_MODEL = 25
MAX_WORKER_MODELS = 300
WORKERS_PER_USER = {False: 4, True: 20}  #: untrusted, trusted
#: seconds between recorded check-ins of a worker that says nothing new (a busy worker pops many times a second;
#: "online" means a check-in in the last ``stale_worker_seconds``)
CHECK_IN_EVERY = 5.0
_BAD_NAME = re.compile(r"colab|tpu|google", re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class PopAsk:
    """What a worker says about itself when it asks for work."""

    name: str
    kind: GenerationKind = GenerationKind.IMAGE
    models: tuple[str, ...] = ()
    max_pixels: int = 262_144
    nsfw: bool = True
    threads: int = 1
    amount: int = 1
    bridge_agent: str = ""
    allow_img2img: bool = True
    allow_painting: bool = True
    allow_lora: bool = False
    allow_post_processing: bool = True
    limit_max_steps: bool = False
    require_upfront_kudos: bool = False
    blacklist: tuple[str, ...] = ()
    priority_user_ids: tuple[int, ...] = ()
    max_length: int = 512
    max_context_length: int = 2048


def _needs(entry: Any) -> tuple[bool, bool, bool, bool]:
    bits = entry.needs
    return (
        bool(bits & queue_store.NEEDS_IMG2IMG),
        bool(bits & queue_store.NEEDS_PAINTING),
        bool(bits & queue_store.NEEDS_LORA),
        bool(bits & queue_store.NEEDS_POST_PROCESSING),
    )


def job_ttl(kind: str, params: dict[str, Any], minimum: int, text_ttl: int) -> int:
    """Seconds a worker has for a job: AI Horde's ``30 + steps × 2 × size`` (at least ``minimum``)."""
    if kind == GenerationKind.TEXT.value:
        return text_ttl
    p = params_mod.ImageParams(**{k: v for k, v in params.items() if k in ("width", "height", "steps", "sampler_name")})
    return max(minimum, round(30 + p.accurate_steps * 2 * p.pixels / 262_144))


@dataclasses.dataclass(frozen=True)
class _Pop:
    actor: dto.Actor
    ask: PopAsk
    name: str  #: with its spaces normalised
    models: list[str]  #: cleaned


def _nothing(kind: str, skipped: Counter[str]) -> dto.PoppedJob:
    return dto.PoppedJob(
        ids=(),
        request_id=None,
        kind=kind,
        model=None,
        prompt="",
        params={},
        seeds=(),
        ttl=0,
        nsfw_censor=False,
        source_image_key=None,
        source_mask_key=None,
        source_processing=None,
        skipped=dict(skipped),
    )


def _popped(req: Any, claimed: list[Any], model: str, ttl: int) -> dto.PoppedJob:
    """What a worker gets for the (id, position, seed) rows it claimed of a request."""
    return dto.PoppedJob(
        ids=tuple(row[0] for row in claimed),
        request_id=req.id,
        kind=req.kind,
        model=model,
        prompt=req.prompt,
        params=dict(req.params),
        seeds=tuple(int(row[2]) for row in claimed),
        ttl=ttl,
        nsfw_censor=not req.nsfw and req.censor_nsfw,
        source_image_key=req.source_image_key,
        source_mask_key=req.source_mask_key,
        source_processing=req.source_processing,
        skipped={},
    )


@functools.lru_cache(maxsize=4096)
def _checked(ask: PopAsk) -> tuple[str, tuple[str, ...]]:
    """The worker's name (spaces normalised) and its cleaned model list, or a ``ValidationError``. A worker asks
    the same every time it pops, so valid answers are kept (a pop ask is immutable and hashable)."""
    params_mod.reject_nul_bytes([ask.name, *ask.models, ask.bridge_agent, *ask.blacklist], "pop")
    name = " ".join(ask.name.split())
    if not 1 <= len(name) <= 100 or _BAD_NAME.search(name):
        raise errors.InvalidWorkerNameError("A worker name has 1 to 100 characters and is not a cloud notebook.")
    models = tuple(dict.fromkeys(m.strip() for m in ask.models if m.strip()))[:MAX_WORKER_MODELS]
    if any(not 1 <= len(m) <= 255 for m in models):
        raise errors.ValidationError("A model name has 1 to 255 characters.", {"models": "1-255 characters"})
    if not 1 <= ask.amount <= 20 or not 1 <= ask.threads <= 50 or ask.max_pixels < 64 * 64:
        raise errors.ValidationError("amount is 1-20, threads 1-50, max_pixels at least 4096.")
    return name, models


def _likely_picks(group: list[int], views: dict[int, list[Any]], left: dict[str, int]) -> list[str]:
    """The request each worker of a batch will most likely take: its best candidate that the workers before it
    left a job of (as if every one fitted). Read in one statement; any other is read when needed."""
    jobs = dict(left)
    picks = set()
    for k in group:
        for entry in views[k]:
            if jobs[entry.request_id] > 0:
                jobs[entry.request_id] -= 1
                picks.add(entry.request_id)
                break
    return sorted(picks)


class PopService:
    def __init__(self, ctx: Context, capacity: Capacity) -> None:
        self.ctx = ctx
        self.capacity = capacity
        self._pops: Coalescer[_Pop, dto.PoppedJob] = Coalescer(self._pop_all, in_flight=in_flight(ctx))

    async def pop(self, actor: dto.Actor, ask: PopAsk) -> dto.PoppedJob:
        """Check the worker in, then hand it the best waiting job it can do (or nothing, with skip counts).

        Pops that arrive together are carried out together (``_pop_all``)."""
        if actor.is_anonymous:
            raise errors.AnonForbiddenError("Anonymous users cannot run workers; register for an API key.")
        if actor.flagged:
            raise errors.FlaggedError
        name, models = _checked(ask)
        popped = await self._pops(name, _Pop(actor, ask, name, list(models)))
        if popped.found:
            logger.info("job_claimed", extra={"action": "job_claimed", "job_id": popped.ids[0], "worker": name})
        return popped

    async def _pop_all(self, pops: list[_Pop]) -> list[dto.PoppedJob | BaseException]:
        """A batch of pops in one write transaction: the workers are read in one statement and checked in with
        one more, their candidates come from one queue read, and the claims are made together (``claim_all``)."""
        now = self.ctx.clock()
        results: list[dto.PoppedJob | BaseException | None] = [None] * len(pops)
        async with self.ctx.db.write() as conn:
            known = await worker_store.by_names(conn, [p.name for p in pops])
            check_ins: list[worker_store.CheckIn] = []
            uptime: list[ledger.Entry] = []
            ready: list[tuple[_Pop, Any, matching.WorkerProfile]] = []
            places: list[int] = []
            for i, p in enumerate(pops):
                try:
                    worker, fresh = known.get(p.name), None
                    if worker is None:
                        worker, fresh = await self._register(conn, p, now)
                    if fresh is None:
                        if (check_in := self._check_in(p, worker, now, uptime)) is not None:
                            check_ins.append(check_in)
                    else:
                        worker = fresh
                except errors.HordeError as exc:
                    results[i] = exc
                    continue
                ready.append((p, worker, self._profile(p, worker)))
                places.append(i)
            await worker_store.check_in_all(conn, check_ins)
            found = await self._match_all(conn, ready, now)
            # uptime rewards last: the users' rows are locked after the workers', the jobs' and the requests', in
            # the order a submit locks them
            await ledger.append_all(conn, uptime, now=now)
        for i, (_, worker, _), popped in zip(places, ready, found, strict=True):
            if worker.maintenance and not popped.found:
                results[i] = errors.WorkerMaintenanceError(worker.maintenance_msg or None)
            else:
                results[i] = popped
        return [r for r in results if r is not None]

    def _profile(self, p: _Pop, worker: Any) -> matching.WorkerProfile:
        ask = p.ask
        return matching.WorkerProfile(
            worker_id=worker.id,
            owner_id=p.actor.user_id,
            models=frozenset(p.models),
            max_pixels=ask.max_pixels,
            nsfw=ask.nsfw,
            trusted=at_least(p.actor.role, Role.TRUSTED),
            allow_img2img=ask.allow_img2img,
            allow_painting=ask.allow_painting,
            allow_lora=ask.allow_lora,
            allow_post_processing=ask.allow_post_processing,
            limit_max_steps=ask.limit_max_steps,
            require_upfront_kudos=ask.require_upfront_kudos,
            blacklist=frozenset(w.lower() for w in ask.blacklist[:200]),
            max_length=ask.max_length,
            max_context_length=ask.max_context_length,
        )

    @staticmethod
    def _capabilities(ask: PopAsk) -> dict[str, Any]:
        return {
            "img2img": ask.allow_img2img,
            "painting": ask.allow_painting,
            "lora": ask.allow_lora,
            "post_processing": ask.allow_post_processing,
            "max_length": ask.max_length,
            "max_context_length": ask.max_context_length,
        }

    async def _register(self, conn: Any, p: _Pop, now: dt.datetime) -> tuple[Any | None, Any | None]:
        """A worker's first pop: (None, its new row, checked in at ``now``), or (the row a concurrent first pop
        made, None), to be checked in."""
        ask, actor = p.ask, p.actor
        trusted = at_least(actor.role, Role.TRUSTED)
        if await worker_store.count_for_owner(conn, actor.user_id) >= WORKERS_PER_USER[trusted]:
            raise errors.TooManyWorkersError
        worker_id = str(uuid.uuid4())
        inserted = await worker_store.insert(
            conn,
            {
                "id": worker_id,
                "name": p.name,
                "owner_id": actor.user_id,
                "kind": ask.kind.value,
                "models": p.models,
                "max_pixels": ask.max_pixels,
                "capabilities": self._capabilities(ask),
                "nsfw": ask.nsfw,
                "threads": ask.threads,
                "bridge_agent": ask.bridge_agent[:1000] or None,
                "ip": actor.ip,
                "last_check_in": now,
                "created_at": now,
                "maintenance": False,
                "paused": False,
                "uptime_seconds": 0.0,
                "uptime_unpaid_seconds": 0.0,
                "kudos_earned_milli": 0,
                "jobs_done": 0,
                "jobs_aborted": 0,
                "things_done": 0.0,
                "seconds_busy": 0.0,
            },
        )
        self.capacity.invalidate()
        if inserted:
            return None, await worker_store.by_id(conn, worker_id)
        worker = await worker_store.by_name(conn, p.name)
        if worker is None:  # pragma: no cover - the conflicting row exists
            raise errors.WorkerNotFoundError
        return worker, None

    def _check_in(
        self, p: _Pop, worker: Any, now: dt.datetime, uptime: list[ledger.Entry]
    ) -> worker_store.CheckIn | None:
        """What a pop records of its worker (an uptime reward that fell due goes into ``uptime``), or None when
        there is nothing worth a write: the worker said the same as at its last recorded check-in, less than
        ``CHECK_IN_EVERY`` seconds ago. Uptime is counted from the last recorded check-in, so nothing is lost."""
        ask, actor = p.ask, p.actor
        if worker.owner_id != actor.user_id:
            raise errors.WrongCredentialsError("This worker name belongs to another user.")
        if worker.kind != ask.kind.value:
            raise errors.ValidationError("This worker name is taken by a worker of another kind.")
        elapsed = (now - worker.last_check_in).total_seconds()
        uptime_seconds = worker.uptime_seconds
        unpaid = worker.uptime_unpaid_seconds
        if 0 < elapsed <= self.ctx.settings.stale_worker_seconds and not (worker.maintenance or worker.paused):
            uptime_seconds += elapsed
            unpaid += elapsed
        elif elapsed > self.ctx.settings.stale_worker_seconds:
            unpaid = 0.0  # back from being offline: the ten minutes start again
        periods = int(unpaid // kudos_rules.UPTIME_PERIOD_SECONDS)
        earned = 0
        if periods and ask.kind is GenerationKind.IMAGE:
            earned = kudos_rules.to_milli(kudos_rules.uptime_reward(len(p.models), ask.allow_lora) * periods)
            uptime.append(
                ledger.Entry(actor.user_id, earned, kudos_rules.EntryKind.UPTIME, memo=f"worker {worker.name}")
            )
        said = (
            p.models,
            ask.max_pixels,
            self._capabilities(ask),
            ask.nsfw,
            ask.threads,
            ask.bridge_agent[:1000] or None,
            actor.ip,
        )
        recorded = (
            worker.models,
            worker.max_pixels,
            worker.capabilities,
            worker.nsfw,
            worker.threads,
            worker.bridge_agent,
            worker.ip,
        )
        if 0 <= elapsed < CHECK_IN_EVERY and not periods and said == recorded:
            return None
        return worker_store.CheckIn(
            worker.id,
            *said,
            now=now,
            uptime_seconds=uptime_seconds,
            uptime_unpaid_seconds=unpaid - periods * kudos_rules.UPTIME_PERIOD_SECONDS,
            earned_milli=earned,
        )

    async def _match_all(
        self, conn: Any, ready: list[tuple[_Pop, Any, matching.WorkerProfile]], now: dt.datetime
    ) -> list[dto.PoppedJob]:
        """Find and claim a job for each worker of a batch, in the batch's order.

        One queue read per kind covers every worker: the best few entries of each model any of them serves, enough
        for all of them. Workers are matched in turn against what is left; the claims are then made together.
        A worker that needs more (paused or in maintenance, every entry seen skipped while a model's list was cut
        short, or its claim lost to another node) takes the one-by-one path (``_find_and_claim``) afterwards."""
        popped: list[dto.PoppedJob | None] = [None] * len(ready)
        claims: list[tuple[int, job_store.Claim, Any, int]] = []
        fast = [k for k, (_, worker, _) in enumerate(ready) if not (worker.paused or worker.maintenance)]
        slow = [k for k, (_, worker, _) in enumerate(ready) if worker.paused or worker.maintenance]
        for kind in sorted({ready[k][0].ask.kind.value for k in fast}):
            group = [k for k in fast if ready[k][0].ask.kind.value == kind]
            owners = {k: {ready[k][2].owner_id, *ready[k][0].ask.priority_user_ids[:10]} for k in group}
            sharing = Counter(model for k in group for model in ready[k][2].models)
            # one entry per model is enough when the best fits, as it nearly always does; more where several
            # workers of the batch serve the same model
            per_model = max(sharing.values(), default=1)
            entries = await queue_store.candidates(
                conn,
                kind=kind,
                models=sorted(sharing),
                owner_ids=sorted(set().union(*owners.values())),
                per_model=per_model,
            )
            by_model: dict[str, list[Any]] = {}
            by_user: dict[int, list[Any]] = {}
            for e in entries:
                by_model.setdefault(e.model, []).append(e)
                by_user.setdefault(e.user_id, []).append(e)
            views = {}
            for k in group:
                mine = owners[k]
                view = [e for m in (*ready[k][2].models, "") for e in by_model.get(m, ())]
                view += [e for o in mine for e in by_user.get(o, ())]
                view.sort(key=lambda e, mine=mine: (e.user_id not in mine, -e.rank))  # type: ignore[misc]
                views[k] = view
            left = {e.request_id: e.queued for e in entries}  # jobs not yet handed to a worker of this batch
            reqs = await request_store.by_ids(conn, _likely_picks(group, views, left))
            for k in group:
                p, worker, profile = ready[k]
                chosen = await self._choose(conn, profile, views[k], reqs, left)
                if isinstance(chosen, Counter):
                    cut_short = any(n >= per_model for n in Counter(e.model for e in views[k]).values())
                    if cut_short:
                        slow.append(k)
                    else:
                        popped[k] = _nothing(p.ask.kind.value, chosen)
                    continue
                entry, req, needs = chosen
                claim, ttl = self._claim_for(worker, profile, p.ask, entry, req, needs, left[req.id], now)
                left[req.id] -= claim.count
                claims.append((k, claim, req, ttl))
        if claims:
            handed = await job_store.claim_all(conn, [c[1] for c in claims], now)
            for (k, claim, req, ttl), rows in zip(claims, handed, strict=True):
                if rows:
                    popped[k] = _popped(req, rows, claim.model, ttl)
                else:  # another node's pop took them first
                    slow.append(k)
        for k in slow:
            p, worker, profile = ready[k]
            popped[k] = await self._find_and_claim(conn, worker, profile, p.ask, now)
        return cast(list[dto.PoppedJob], popped)  # every place is filled: by the fast path or the slow one

    async def _choose(
        self,
        conn: Any,
        profile: matching.WorkerProfile,
        view: list[Any],
        reqs: dict[str, Any],
        left: dict[str, int],
    ) -> tuple[Any, Any, matching.RequestNeeds] | Counter[str]:
        """The first of a worker's candidates it may take and that has jobs left, or the skip counts."""
        skipped: Counter[str] = Counter()
        seen: set[str] = set()
        for entry in view:
            if entry.request_id in seen or left[entry.request_id] <= 0:
                continue
            seen.add(entry.request_id)
            req = reqs.get(entry.request_id)
            if req is None:
                req = reqs[entry.request_id] = await request_store.by_id(conn, entry.request_id)
            if req is None or req.state != RequestState.WAITING.value:
                continue
            needs = self._needs_of(entry, req)
            reason = matching.skip_reason(profile, needs)
            if reason is not None:
                skipped[reason.value] += 1
                continue
            return entry, req, needs
        return skipped

    def _claim_for(
        self,
        worker: Any,
        profile: matching.WorkerProfile,
        ask: PopAsk,
        entry: Any,
        req: Any,
        needs: matching.RequestNeeds,
        queued: int,
        now: dt.datetime,
    ) -> tuple[job_store.Claim, int]:
        """The claim a worker makes on a request it may take (``queued`` of its jobs still to hand out), and the
        job's time to live."""
        count = 1
        if req.kind == GenerationKind.IMAGE.value:
            count = matching.batch_size(ask.max_pixels, ask.amount, entry.pixels, queued)
        settings = self.ctx.settings
        ttl = job_ttl(req.kind, req.params, settings.job_ttl_min_seconds, settings.text_job_ttl_seconds)
        model = matching.choose_model(profile, needs)
        return job_store.Claim(req.id, count, worker.id, model, now + dt.timedelta(seconds=ttl)), ttl

    async def _find_and_claim(
        self, conn: Any, worker: Any, profile: matching.WorkerProfile, ask: PopAsk, now: dt.datetime
    ) -> dto.PoppedJob:
        """One worker on its own: a short look first (the best few of each model nearly always fit), a longer one
        only if none did; a request whose jobs another pop took meanwhile is passed over."""
        owners = [profile.owner_id, *ask.priority_user_ids[:10]]
        reqs: dict[str, Any] = {}
        skipped: Counter[str] = Counter()
        for per_model in (FIRST_LOOK, CANDIDATES_PER_MODEL):
            entries = await queue_store.candidates(
                conn,
                kind=ask.kind.value,
                models=[] if worker.paused else sorted(profile.models),
                owner_ids=owners,
                per_model=per_model,
            )
            if worker.maintenance or worker.paused:
                entries = [e for e in entries if e.user_id in owners]
            # own and priority users' requests first, then by rank
            entries.sort(key=lambda e: (e.user_id not in owners, -e.rank))
            left = {e.request_id: e.queued for e in entries}
            while not isinstance(chosen := await self._choose(conn, profile, entries, reqs, left), Counter):
                entry, req, needs = chosen
                claim, ttl = self._claim_for(worker, profile, ask, entry, req, needs, entry.queued, now)
                [claimed] = await job_store.claim_all(conn, [claim], now)
                if claimed:
                    return _popped(req, claimed, claim.model, ttl)
                left[req.id] = 0
            skipped = chosen  # the longer look counts again every request the short one saw
            if all(count < per_model for count in Counter(e.model for e in entries).values()):
                break  # the short look already saw everything there is
        return _nothing(ask.kind.value, skipped)

    @staticmethod
    def _needs_of(entry: Any, req: Any) -> matching.RequestNeeds:
        img2img, painting, lora, post = _needs(entry)
        params = req.params
        steps = 0
        if req.kind == GenerationKind.IMAGE.value:
            steps = params_mod.ImageParams(steps=params["steps"], sampler_name=params["sampler_name"]).accurate_steps
        return matching.RequestNeeds(
            request_id=req.id,
            user_id=req.user_id,
            models=frozenset(req.models),
            pixels=entry.pixels,
            nsfw=bool(entry.nsfw),
            trusted_only=bool(entry.trusted_only),
            worker_ids=frozenset(req.worker_ids or ()),
            worker_blacklist=req.worker_blacklist,
            needs_img2img=img2img,
            needs_painting=painting,
            needs_lora=lora,
            needs_post_processing=post,
            accurate_steps=steps,
            prompt=req.prompt,
            requester_has_spare_kudos=req.upfront_milli > 0
            or req.priority > kudos_rules.from_milli(req.estimate_milli),
            max_length=params.get("max_length", 0) if req.kind == GenerationKind.TEXT.value else 0,
            max_context_length=params.get("max_context_length", 0) if req.kind == GenerationKind.TEXT.value else 0,
        )
