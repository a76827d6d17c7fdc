"""Matching popping workers with waiting requests and claiming their jobs.

One queue read per kind covers every worker of a batch: the best few entries of each model any of them serves,
enough for all of them. Workers are matched in turn against what is left; the claims are then made together
(``jobs.claim_all``). A worker that needs more (paused or in maintenance, every entry seen skipped while a model's
list was cut short, or its claim lost to another node) takes the one-by-one path (``find_and_claim``) afterwards.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from typing import Any

from horde.queue import dto
from horde.queue.domain import drops, kudos as kudos_rules, matching, params as params_mod
from horde.queue.domain.jobs import GenerationKind, RequestState
from horde.queue.service.context import Context
from horde.queue.service.pops.asks import Pop, PopAsk, Worker
from horde.queue.store import jobs as job_store, queue as queue_store, requests as request_store
from horde.queue.store.connection import Connection
from horde.queue.store.queue import PopCandidate
from horde.queue.store.rows import RequestRow, RequestWork

FIRST_LOOK = 3
CANDIDATES_PER_MODEL = 25

Request = RequestWork | RequestRow  #: a candidate request: as a batch reads it, or whole when read on its own


@dataclasses.dataclass(frozen=True)
class Ready:
    """A pop whose worker is checked in, ready to be matched."""

    pop: Pop
    worker: Worker
    profile: matching.WorkerProfile

    @property
    def needs_more(self) -> bool:
        """A paused worker or one in maintenance takes only its owner's (and priority users') requests."""
        return self.worker.paused or self.worker.maintenance


@dataclasses.dataclass(frozen=True)
class Choice:
    """A candidate a worker may take."""

    entry: PopCandidate
    request: Request
    needs: matching.RequestNeeds


@dataclasses.dataclass(frozen=True)
class Planned:
    """A claim a worker of the batch makes, before the claims are made together."""

    place: int  #: the worker's place in the batch
    claim: job_store.Claim
    request: Request
    ttl: int


def job_ttl(kind: str, params: dict[str, Any], minimum: int, text_ttl: int) -> int:
    """Seconds a worker has for a job: AI Horde's ``30 + steps × 2 × size`` (at least ``minimum``)."""
    if kind == GenerationKind.TEXT.value:
        return text_ttl
    names = ("width", "height", "steps", "sampler_name")
    image = params_mod.ImageParams(**{key: value for key, value in params.items() if key in names})
    return max(minimum, round(30 + image.accurate_steps * 2 * image.pixels / 262_144))


def nothing(kind: str, skipped: Counter[str]) -> dto.PoppedJob:
    """A pop that found no job it may take, with the reasons it skipped the others."""
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


def popped(req: Request, claimed: list[job_store.ClaimedJob], model: str, ttl: int) -> dto.PoppedJob:
    """What a worker gets for the jobs it claimed of a request."""
    return dto.PoppedJob(
        ids=tuple(job.id for job in claimed),
        request_id=req.id,
        kind=req.kind,
        model=model,
        prompt=req.prompt,
        params=dict(req.params),
        seeds=tuple(int(job.seed) for job in claimed),
        handouts=tuple(job.handout for job in claimed),
        ttl=ttl,
        nsfw_censor=not req.nsfw and req.censor_nsfw,
        source_image_key=req.source_image_key,
        source_mask_key=req.source_mask_key,
        source_processing=req.source_processing,
        skipped={},
    )


def likely_picks(group: list[int], views: dict[int, list[PopCandidate]], left: dict[str, int]) -> list[str]:
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


def needs_of(entry: PopCandidate, req: Request) -> matching.RequestNeeds:
    """What a request needs of a worker, from its queue entry and its row."""
    flags = entry.needs_flags
    params = req.params
    is_text = req.kind == GenerationKind.TEXT.value
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
        needs_img2img=bool(flags & matching.Needs.IMG2IMG),
        needs_painting=bool(flags & matching.Needs.PAINTING),
        needs_lora=bool(flags & matching.Needs.LORA),
        needs_post_processing=bool(flags & matching.Needs.POST_PROCESSING),
        post_processing=frozenset(params.get("post_processing") or ()),
        censored_sfw=not req.nsfw and req.censor_nsfw,
        accurate_steps=steps,
        prompt=req.prompt,
        requester_has_spare_kudos=req.upfront_milli > 0 or req.priority > kudos_rules.from_milli(req.estimate_milli),
        max_length=params.get("max_length", 0) if is_text else 0,
        max_context_length=params.get("max_context_length", 0) if is_text else 0,
    )


def views_of(group: list[int], ready: list[Ready], entries: list[PopCandidate]) -> dict[int, list[PopCandidate]]:
    """Each worker's candidates among a batch's queue read: its models' and its owners' entries, its own and its
    priority users' requests first, then by rank."""
    by_model: dict[str, list[PopCandidate]] = {}
    by_user: dict[int, list[PopCandidate]] = {}
    for entry in entries:
        by_model.setdefault(entry.model, []).append(entry)
        by_user.setdefault(entry.user_id, []).append(entry)
    views = {}
    for k in group:
        mine = owners_of(ready[k])
        view = [entry for model in (*ready[k].profile.models, "") for entry in by_model.get(model, ())]
        view += [entry for owner in mine for entry in by_user.get(owner, ())]
        view.sort(key=lambda entry, mine=mine: (entry.user_id not in mine, -entry.rank))  # type: ignore[misc]
        views[k] = view
    return views


def owners_of(ready: Ready) -> set[int]:
    """Whose requests a worker takes first: its owner's and its priority users'."""
    return {ready.profile.owner_id, *ready.pop.ask.priority_user_ids[:10]}


class Matcher:
    """Chooses the request each worker takes and plans its claim."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def choose(
        self, conn: Connection, profile: matching.WorkerProfile, view: list[PopCandidate], reqs: dict[str, Request],
        left: dict[str, int],
    ) -> Choice | Counter[str]:  # fmt: skip
        """The first of a worker's candidates it may take and that has jobs left, or the skip counts."""
        skipped: Counter[str] = Counter()
        seen: set[str] = set()
        for entry in view:
            if entry.request_id in seen or left[entry.request_id] <= 0:
                continue
            seen.add(entry.request_id)
            req = reqs.get(entry.request_id)
            if req is None:
                whole = await request_store.by_id(conn, entry.request_id)
                if whole is None:
                    continue
                req = reqs[entry.request_id] = whole
            if req.state != RequestState.WAITING.value:
                continue
            needs = needs_of(entry, req)
            reason = matching.skip_reason(profile, needs)
            if reason is not None:
                skipped[reason.value] += 1
                continue
            return Choice(entry, req, needs)
        return skipped

    def claim_for(
        self, worker: Worker, profile: matching.WorkerProfile, ask: PopAsk, choice: Choice, queued: int,
        now: dt.datetime,
    ) -> tuple[job_store.Claim, int]:  # fmt: skip
        """The claim a worker makes on a request it may take (``queued`` of its jobs still to hand out), and the
        job's time to live."""
        req = choice.request
        count = 1
        if req.kind == GenerationKind.IMAGE.value and not drops.throttled(worker.drops_recent, worker.drops_since, now):
            count = matching.batch_size(ask.max_pixels, ask.amount, choice.entry.pixels, queued)
        settings = self.ctx.settings
        ttl = job_ttl(req.kind, req.params, settings.job_ttl_min_seconds, settings.text_job_ttl_seconds)
        model = matching.choose_model(profile, choice.needs)
        return job_store.Claim(req.id, count, worker.id, model, now + dt.timedelta(seconds=ttl)), ttl

    async def find_and_claim(self, conn: Connection, ready: Ready, now: dt.datetime) -> dto.PoppedJob:
        """One worker on its own: a short look first (the best few of each model nearly always fit), a longer one
        only if none did; a request whose jobs another pop took meanwhile is passed over."""
        worker, profile, ask = ready.worker, ready.profile, ready.pop.ask
        owners = [profile.owner_id, *ask.priority_user_ids[:10]]
        reqs: dict[str, Request] = {}
        skipped: Counter[str] = Counter()
        for per_model in (FIRST_LOOK, CANDIDATES_PER_MODEL):
            models = [] if worker.paused else sorted(profile.models)
            entries = await queue_store.candidates(
                conn, kind=ask.kind.value, models=models, owner_ids=owners, per_model=per_model
            )
            if ready.needs_more:
                entries = [entry for entry in entries if entry.user_id in owners]
            entries.sort(key=lambda entry: (entry.user_id not in owners, -entry.rank))  # own and priority first
            left = {entry.request_id: entry.queued for entry in entries}
            while not isinstance(chosen := await self.choose(conn, profile, entries, reqs, left), Counter):
                claim, ttl = self.claim_for(worker, profile, ask, chosen, chosen.entry.queued, now)
                [claimed] = await job_store.claim_all(conn, [claim], now)
                if claimed:
                    return popped(chosen.request, claimed, claim.model, ttl)
                left[chosen.request.id] = 0
            skipped = chosen  # the longer look counts again every request the short one saw
            if all(count < per_model for count in Counter(entry.model for entry in entries).values()):
                break  # the short look already saw everything there is
        return nothing(ask.kind.value, skipped)
