"""Workers: pop a job, upload and submit its result, and manage the worker itself."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import uuid
from collections import Counter
from typing import Any

from horde.queue import dto, errors
from horde.queue.domain import kudos as kudos_rules, matching, params as params_mod
from horde.queue.domain.jobs import GenerationKind, JobState, RequestState, ResultState
from horde.queue.domain.retry import RetryPolicy
from horde.queue.domain.roles import Role, at_least
from horde.queue.service import sharedkeys
from horde.queue.service.capacity import Capacity, things_per_second
from horde.queue.service.context import Context
from horde.queue.service.users import require_role
from horde.queue.store import (
    audit,
    jobs as job_store,
    ledger,
    queue as queue_store,
    requests as request_store,
    users as user_store,
    workers as worker_store,
)

logger = logging.getLogger(__name__)

FIRST_LOOK = 3
CANDIDATES_PER_MODEL = 25
MAX_WORKER_MODELS = 300
WORKERS_PER_USER = {False: 4, True: 20}  #: untrusted, trusted
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


@dataclasses.dataclass(frozen=True)
class SubmitAsk:
    job_id: str
    state: ResultState = ResultState.OK
    seed: int | None = None
    image: bytes | None = None  #: None: the image was uploaded to the job's upload URL
    text: str | None = None
    gen_metadata: tuple[dict[str, Any], ...] = ()


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


def worker_info(row: Any, stale_after: dt.datetime, trusted: bool) -> dto.WorkerInfo:
    return dto.WorkerInfo(
        id=row.id,
        name=row.name,
        owner_id=row.owner_id,
        kind=row.kind,
        models=tuple(row.models),
        max_pixels=row.max_pixels,
        nsfw=row.nsfw,
        trusted=trusted,
        maintenance=row.maintenance,
        paused=row.paused,
        online=row.last_check_in >= stale_after,
        threads=row.threads,
        uptime_seconds=int(row.uptime_seconds),
        kudos_earned=kudos_rules.from_milli(row.kudos_earned_milli),
        jobs_done=row.jobs_done,
        things_per_second=round(things_per_second(row), 3),
        info=row.info,
        team_id=row.team_id,
        bridge_agent=row.bridge_agent,
        capabilities=dict(row.capabilities),
    )


class WorkerService:
    def __init__(self, ctx: Context, capacity: Capacity) -> None:
        self.ctx = ctx
        self.capacity = capacity
        self.retry = RetryPolicy(ctx.settings.max_attempts)

    # --- pop ------------------------------------------------------------------------------------------------

    def _check_ask(self, ask: PopAsk) -> list[str]:
        params_mod.reject_nul_bytes([ask.name, *ask.models, ask.bridge_agent, *ask.blacklist], "pop")
        name = " ".join(ask.name.split())
        if not 1 <= len(name) <= 100 or _BAD_NAME.search(name):
            raise errors.InvalidWorkerNameError("A worker name has 1 to 100 characters and is not a cloud notebook.")
        models = list(dict.fromkeys(m.strip() for m in ask.models if m.strip()))[:MAX_WORKER_MODELS]
        if any(not 1 <= len(m) <= 255 for m in models):
            raise errors.ValidationError("A model name has 1 to 255 characters.", {"models": "1-255 characters"})
        if not 1 <= ask.amount <= 20 or not 1 <= ask.threads <= 50 or ask.max_pixels < 64 * 64:
            raise errors.ValidationError("amount is 1-20, threads 1-50, max_pixels at least 4096.")
        return models

    async def pop(self, actor: dto.Actor, ask: PopAsk) -> dto.PoppedJob:
        """Check the worker in, then hand it the best waiting job it can do (or nothing, with skip counts)."""
        if actor.is_anonymous:
            raise errors.AnonForbiddenError("Anonymous users cannot run workers; register for an API key.")
        if actor.flagged:
            raise errors.FlaggedError
        models = self._check_ask(ask)
        now = self.ctx.clock()
        async with self.ctx.db.write() as conn:
            worker = await self._check_in(conn, actor, ask, models, now)
            trusted = at_least(actor.role, Role.TRUSTED)
            profile = matching.WorkerProfile(
                worker_id=worker.id,
                owner_id=actor.user_id,
                models=frozenset(models),
                max_pixels=ask.max_pixels,
                nsfw=ask.nsfw,
                trusted=trusted,
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
            popped = await self._find_and_claim(conn, worker, profile, ask, now)
        if worker.maintenance and not popped.found:
            raise errors.WorkerMaintenanceError(worker.maintenance_msg or None)
        if popped.found:
            logger.info("job_claimed", extra={"action": "job_claimed", "job_id": popped.ids[0], "worker_id": worker.id})
        return popped

    async def _check_in(self, conn: Any, actor: dto.Actor, ask: PopAsk, models: list[str], now: dt.datetime) -> Any:
        name = " ".join(ask.name.split())
        worker = await worker_store.by_name(conn, name)
        capabilities = {
            "img2img": ask.allow_img2img,
            "painting": ask.allow_painting,
            "lora": ask.allow_lora,
            "post_processing": ask.allow_post_processing,
            "max_length": ask.max_length,
            "max_context_length": ask.max_context_length,
        }
        values: dict[str, Any] = {
            "models": models,
            "max_pixels": ask.max_pixels,
            "capabilities": capabilities,
            "nsfw": ask.nsfw,
            "threads": ask.threads,
            "bridge_agent": ask.bridge_agent[:1000] or None,
            "ip": actor.ip,
            "last_check_in": now,
        }
        if worker is None:
            trusted = at_least(actor.role, Role.TRUSTED)
            if await worker_store.count_for_owner(conn, actor.user_id) >= WORKERS_PER_USER[trusted]:
                raise errors.TooManyWorkersError
            worker_id = str(uuid.uuid4())
            inserted = await worker_store.insert(
                conn,
                {
                    **values,
                    "id": worker_id,
                    "name": name,
                    "owner_id": actor.user_id,
                    "kind": ask.kind.value,
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
                return await worker_store.by_id(conn, worker_id)
            worker = await worker_store.by_name(conn, name)  # a concurrent first pop won the name
            if worker is None:  # pragma: no cover - the conflicting row exists
                raise errors.WorkerNotFoundError
        if worker.owner_id != actor.user_id:
            raise errors.WrongCredentialsError("This worker name belongs to another user.")
        if worker.kind != ask.kind.value:
            raise errors.ValidationError("This worker name is taken by a worker of another kind.")
        elapsed = (now - worker.last_check_in).total_seconds()
        uptime = worker.uptime_seconds
        unpaid = worker.uptime_unpaid_seconds
        if 0 < elapsed <= self.ctx.settings.stale_worker_seconds and not (worker.maintenance or worker.paused):
            uptime += elapsed
            unpaid += elapsed
        elif elapsed > self.ctx.settings.stale_worker_seconds:
            unpaid = 0.0  # back from being offline: the ten minutes start again
        periods = int(unpaid // kudos_rules.UPTIME_PERIOD_SECONDS)
        earned = 0
        if periods and ask.kind is GenerationKind.IMAGE:
            reward = kudos_rules.uptime_reward(len(models), ask.allow_lora) * periods
            earned = kudos_rules.to_milli(reward)
            await ledger.append(
                conn,
                user_id=actor.user_id,
                amount_milli=earned,
                kind=kudos_rules.EntryKind.UPTIME,
                now=now,
                memo=f"worker {worker.name}",
            )
        return await worker_store.check_in(
            conn,
            worker.id,
            models=models,
            max_pixels=ask.max_pixels,
            capabilities=capabilities,
            nsfw=ask.nsfw,
            threads=ask.threads,
            bridge_agent=ask.bridge_agent[:1000] or None,
            ip=actor.ip,
            now=now,
            uptime_seconds=uptime,
            uptime_unpaid_seconds=unpaid - periods * kudos_rules.UPTIME_PERIOD_SECONDS,
            earned_milli=earned,
        )

    async def _find_and_claim(
        self, conn: Any, worker: Any, profile: matching.WorkerProfile, ask: PopAsk, now: dt.datetime
    ) -> dto.PoppedJob:
        owners = [profile.owner_id, *ask.priority_user_ids[:10]]
        skipped: Counter[str] = Counter()
        seen: set[str] = set()
        # a short look first (the best few of each model nearly always fit); a longer one only if none did
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
            # own and priority users' requests first, then by rank; one look per request
            entries.sort(key=lambda e: (e.user_id not in owners, -e.rank))
            for entry in entries:
                if entry.request_id in seen:
                    continue
                seen.add(entry.request_id)
                req = await request_store.by_id(conn, entry.request_id)
                if req is None or req.state != RequestState.WAITING.value:
                    continue
                reason = matching.skip_reason(profile, self._needs_of(entry, req))
                if reason is not None:
                    skipped[reason.value] += 1
                    continue
                popped = await self._claim(conn, worker, profile, ask, req, entry, now)
                if popped is not None:
                    return popped
            if all(count < per_model for count in Counter(e.model for e in entries).values()):
                break  # the short look already saw everything there is
        return dto.PoppedJob(
            ids=(),
            request_id=None,
            kind=ask.kind.value,
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

    async def _claim(
        self,
        conn: Any,
        worker: Any,
        profile: matching.WorkerProfile,
        ask: PopAsk,
        req: Any,
        entry: Any,
        now: dt.datetime,
    ) -> dto.PoppedJob | None:
        count = 1
        if req.kind == GenerationKind.IMAGE.value:
            count = matching.batch_size(ask.max_pixels, ask.amount, entry.pixels, entry.queued)
        ttl = job_ttl(
            req.kind, req.params, self.ctx.settings.job_ttl_min_seconds, self.ctx.settings.text_job_ttl_seconds
        )
        model = matching.choose_model(profile, self._needs_of(entry, req))
        expires = now + dt.timedelta(seconds=self.ctx.settings.request_expiry_seconds)
        claimed = await job_store.claim(
            conn,
            request_id=req.id,
            count=count,
            worker_id=worker.id,
            model=model,
            now=now,
            deadline=now + dt.timedelta(seconds=ttl),
            expires_at=max(expires, req.expires_at),
        )
        if not claimed:
            return None
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

    # --- results --------------------------------------------------------------------------------------------

    @staticmethod
    def result_key(job_id: str) -> str:
        return f"{job_id}.webp"

    async def upload_result(self, job_id: str, data: bytes) -> None:
        """Store an image a worker PUT to its signed upload URL (the signature was checked by the adapter)."""
        async with self.ctx.db.read() as conn:
            job = await job_store.by_id(conn, job_id)
        if job is None:
            raise errors.InvalidJobIdError
        if job.state not in (JobState.PROCESSING.value, JobState.QUEUED.value):
            raise errors.DuplicateGenError("This job is finished; the upload is not needed.")
        if len(data) > 50 * 1024 * 1024:
            raise errors.ValidationError("The upload is larger than 50 MB.")
        await self.ctx.results.save(self.result_key(job_id), data)

    async def submit(self, actor: dto.Actor, ask: SubmitAsk) -> dto.SubmitResult:
        """Finish a job: store the result, pay the worker's owner, charge the requester, all in one transaction.

        Idempotent: submitting a finished job again answers the first reward and pays nothing more.
        """
        params_mod.reject_nul_bytes([ask.text or "", *[str(m) for m in ask.gen_metadata]], "submit")
        try:
            uuid.UUID(ask.job_id)
        except ValueError as exc:
            raise errors.InvalidJobIdError from exc
        if ask.image is not None and not self.ctx.results.transactional:  # a file: saved before, on its own
            await self.ctx.results.save(self.result_key(ask.job_id), ask.image)
        now = self.ctx.clock()
        async with self.ctx.db.write() as conn:
            found = await job_store.with_worker_and_request(conn, ask.job_id)
            if found is None:
                raise errors.InvalidJobIdError
            job, worker, req = found
            if worker is not None and worker.owner_id != actor.user_id:
                if job.attempts > 1:  # it timed out on this user's worker and went to another one
                    raise errors.AbortedGenError
                raise errors.WrongCredentialsError("This job belongs to another user's worker.")
            if job.state == JobState.DONE.value:
                return dto.SubmitResult(reward=kudos_rules.from_milli(job.reward_milli), duplicate=True)
            if job.state != JobState.PROCESSING.value or worker is None:
                raise errors.AbortedGenError
            if ask.state is ResultState.FAULTED:
                await self._fault(conn, job, req, worker, now)
                return dto.SubmitResult(reward=0.0)
            return await self._finish(conn, ask, job, req, worker, now)

    async def _finish(
        self, conn: Any, ask: SubmitAsk, job: Any, req: Any, worker: Any, now: dt.datetime
    ) -> dto.SubmitResult:
        censored = ask.state in (ResultState.CENSORED, ResultState.CSAM)
        if ask.image is not None and self.ctx.results.transactional:  # in the database: with the job, atomically
            await self.ctx.results.save_in(conn, self.result_key(job.id), ask.image)
        if req.kind == GenerationKind.IMAGE.value:
            if ask.image is None and await self.ctx.results.load(self.result_key(job.id)) is None:
                raise errors.ValidationError("No image was uploaded for this job.", {"generation": "missing"})
            reward = kudos_rules.image_worker_reward(kudos_rules.from_milli(req.base_cost_milli), job.model or "")
            p = params_mod.parse_image_params(req.params)
            charge = kudos_rules.image_charge(
                reward,
                p,
                has_source=req.source_image_key is not None,
                slow_workers=req.slow_workers,
                worker_blacklist=req.worker_blacklist and bool(req.worker_ids),
                censored=censored,
            )
            things = req.things
        else:
            text = ask.text or ""
            reward = kudos_rules.text_worker_reward(
                text, job.model or "", req.params.get("max_length", 80), req.params.get("max_context_length", 2048)
            )
            charge = kudos_rules.text_charge(0.0 if censored else reward)
            things = float(min(max(len(text) // 4, 1), req.params.get("max_length", 80)))
        reward_milli, charge_milli = kudos_rules.to_milli(reward), kudos_rules.to_milli(charge)
        done = await job_store.finish(
            conn,
            job_id=job.id,
            worker_id=worker.id,
            now=now,
            result_state=ask.state.value,
            result_key=self.result_key(job.id) if req.kind == GenerationKind.IMAGE.value else None,
            result_text=ask.text if req.kind == GenerationKind.TEXT.value else None,
            gen_metadata=list(ask.gen_metadata)[:50],
            seed=ask.seed if ask.seed is not None and 0 <= ask.seed < 2**63 else job.seed,
            reward_milli=reward_milli,
            charge_milli=charge_milli,
        )
        if not done:  # pragma: no cover - guarded by the row read in the same write transaction
            raise errors.AbortedGenError
        busy = max(0.0, (now - job.popped_at).total_seconds()) if job.popped_at else 0.0
        await worker_store.count_done(conn, worker.id, earned_milli=reward_milli, things=things, busy=busy)
        await request_store.charge_and_settle(conn, req.id, charge_milli, now)
        await sharedkeys.spend(conn, req.shared_key_id, charge_milli)
        # the balances last: the users' rows are the hottest (one requester, many jobs), so their locks are held
        # for as short a time as possible before the COMMIT
        await ledger.append_all(
            conn,
            [
                ledger.Entry(worker.owner_id, reward_milli, kudos_rules.EntryKind.WORKER_REWARD, req.id, job.id),
                ledger.Entry(req.user_id, -charge_milli, kudos_rules.EntryKind.REQUEST_CHARGE, req.id, job.id),
            ],
            now=now,
        )
        logger.info("job_finished", extra={"action": "job_finished", "job_id": job.id, "worker_id": worker.id})
        return dto.SubmitResult(reward=kudos_rules.from_milli(reward_milli))

    async def _fault(self, conn: Any, job: Any, req: Any, worker: Any | None, now: dt.datetime) -> None:
        """A job failed or timed out: back to the queue, or, out of attempts, fault the whole request."""
        decision = self.retry.decide(job.attempts)
        target = JobState.QUEUED if decision.requeue and req.state == RequestState.WAITING.value else JobState.FAULTED
        if not await job_store.release(conn, job_id=job.id, worker_id=job.worker_id, target=target):
            return
        if worker is not None:
            await worker_store.update(conn, worker.id, jobs_aborted=worker.jobs_aborted + 1)
        if target is JobState.QUEUED:
            entry = queue_store.entry_for(req._asdict())
            await queue_store.add(conn, entry, 1)
            logger.info("job_requeued", extra={"action": "job_requeued", "job_id": job.id})
            return
        if req.state == RequestState.WAITING.value:
            await job_store.fault_queued(conn, req.id)
            await queue_store.remove(conn, [req.id])
            await request_store.set_state(conn, req.id, RequestState.FAULTED, now)
        logger.info("job_faulted", extra={"action": "job_faulted", "job_id": job.id})

    # --- sweeps ---------------------------------------------------------------------------------------------

    async def requeue_overdue(self) -> tuple[int, int]:
        """Jobs whose worker missed the deadline go back to the queue (or fault). Returns (requeued, faulted)."""
        now = self.ctx.clock()
        requeued = faulted = 0
        async with self.ctx.db.write() as conn:
            for job in await job_store.overdue(conn, now):
                full = await job_store.by_id(conn, job.id)
                req = await request_store.by_id(conn, job.request_id)
                worker = await worker_store.by_id(conn, job.worker_id) if job.worker_id else None
                await self._fault(conn, full, req, worker, now)
                after = await job_store.by_id(conn, job.id)
                if after is not None and after.state == JobState.QUEUED.value:
                    requeued += 1
                else:
                    faulted += 1
        return requeued, faulted

    # --- management -----------------------------------------------------------------------------------------

    async def listing(
        self, actor: dto.Actor | None, *, kind: str | None = None, owner_id: int | None = None
    ) -> list[dto.WorkerInfo]:
        now = self.ctx.clock()
        stale = now - dt.timedelta(seconds=self.ctx.settings.stale_worker_seconds)
        async with self.ctx.db.read() as conn:
            rows = await worker_store.listing(conn, kind=kind, owner_id=owner_id)
            trusted = await self._trusted_owners(conn, {r.owner_id for r in rows})
        return [worker_info(row, stale, row.owner_id in trusted) for row in rows]

    async def _trusted_owners(self, conn: Any, owner_ids: set[int]) -> set[int]:
        result = set()
        for owner_id in owner_ids:
            owner = await user_store.by_id(conn, owner_id)
            if owner is not None and at_least(Role(owner.role), Role.TRUSTED):
                result.add(owner_id)
        return result

    async def get(self, actor: dto.Actor | None, worker_id: str) -> dto.WorkerInfo:
        stale = self.ctx.clock() - dt.timedelta(seconds=self.ctx.settings.stale_worker_seconds)
        async with self.ctx.db.read() as conn:
            row = await worker_store.by_id(conn, worker_id) or await worker_store.by_name(conn, worker_id)
            if row is None:
                raise errors.WorkerNotFoundError
            trusted = await self._trusted_owners(conn, {row.owner_id})
        return worker_info(row, stale, row.owner_id in trusted)

    async def modify(self, actor: dto.Actor, worker_id: str, **changes: Any) -> dto.WorkerInfo:
        """Owners set maintenance, info, name and team; moderators also pause."""
        allowed = {"maintenance", "maintenance_msg", "info", "name", "team", "paused"}
        if set(changes) - allowed:
            raise errors.ValidationError(f"Cannot change {sorted(set(changes) - allowed)}.")
        now = self.ctx.clock()
        async with self.ctx.db.write() as conn:
            row = await worker_store.by_id(conn, worker_id)
            if row is None:
                raise errors.WorkerNotFoundError
            is_mod = at_least(actor.role, Role.MODERATOR)
            if row.owner_id != actor.user_id and not is_mod:
                raise errors.NotOwnerError
            if "paused" in changes:
                require_role(actor, Role.MODERATOR)
            values = _worker_values(changes)
            if "name" in values and await worker_store.by_name(conn, values["name"]) is not None:
                raise errors.NameAlreadyExistsError
            if values:
                await worker_store.update(conn, worker_id, **values)
            await audit.record(
                conn,
                actor_id=actor.user_id,
                action="worker_modified",
                target_type="worker",
                target_id=worker_id,
                details=changes,
                now=now,
            )
        self.capacity.invalidate()
        return await self.get(actor, worker_id)

    async def delete(self, actor: dto.Actor, worker_id: str) -> None:
        async with self.ctx.db.write() as conn:
            row = await worker_store.by_id(conn, worker_id)
            if row is None:
                raise errors.WorkerNotFoundError
            if row.owner_id != actor.user_id and not at_least(actor.role, Role.MODERATOR):
                raise errors.NotOwnerError
            await worker_store.delete(conn, worker_id)
        self.capacity.invalidate()


def _worker_values(changes: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in ("maintenance", "paused"):
        if key in changes:
            values[key] = bool(changes[key])
    for key in ("maintenance_msg", "info"):
        if key in changes:
            values[key] = None if changes[key] is None else str(changes[key])[:1000]
    if "name" in changes:
        name = " ".join(str(changes["name"]).split())
        if not 1 <= len(name) <= 100:
            raise errors.InvalidWorkerNameError
        values["name"] = name
    if "team" in changes:
        values["team_id"] = changes["team"] or None
    return values
