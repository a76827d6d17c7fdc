"""Asking for images and texts: submit, estimate, status, cancel."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import logging
import math
import secrets
import uuid
from typing import Any

from PIL import Image, UnidentifiedImageError

from horde.queue import dto, errors
from horde.queue.domain import kudos as kudos_rules, params as params_mod
from horde.queue.domain.jobs import GenerationKind, JobState, RequestState
from horde.queue.domain.roles import Role, at_least
from horde.queue.service import sharedkeys
from horde.queue.service.asks import GenerationAsk
from horde.queue.service.capacity import Capacity
from horde.queue.service.context import Context
from horde.queue.service.moderation import Moderation
from horde.queue.service.positions import QueuePositions
from horde.queue.service.sharedkeys import SharedKeyService
from horde.queue.service.styles import StyleService
from horde.queue.store import (
    jobs as job_store,
    ledger,
    queue as queue_store,
    requests as request_store,
    styles as style_store,
    users as user_store,
    workers as worker_store,
)

logger = logging.getLogger(__name__)

MAX_MODELS = 100
MAX_SOURCE_BYTES = 10 * 1024 * 1024
NO_WORKER_WARNING = {
    "code": "NoAvailableWorker",
    "message": "No worker online can serve this request right now. It waits until one comes, or expires.",
}


@dataclasses.dataclass(frozen=True)
class _Checked:
    kind: GenerationKind
    prompt: str
    models: list[str]
    image: params_mod.ImageParams | None
    text: params_mod.TextParams | None

    @property
    def n(self) -> int:
        return self.image.n if self.image else self.text.n if self.text else 1

    @property
    def pixels(self) -> int:
        return self.image.pixels if self.image else 0

    @property
    def things(self) -> float:
        """Work per job: megapixelsteps for an image, tokens for a text."""
        if self.image:
            return self.image.pixels * self.image.accurate_steps / 1_000_000
        return float(self.text.max_length) if self.text else 0.0

    def payload(self) -> dict[str, Any]:
        if self.image:
            return self.image.to_payload()
        return self.text.to_payload() if self.text else {}


def _check_image_bytes(data: bytes, field: str) -> None:
    if len(data) > MAX_SOURCE_BYTES:
        raise errors.ValidationError(f"{field} is larger than 10 MB.", {field: "too large"})
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width > params_mod.MAX_SIDE or img.height > params_mod.MAX_SIDE:
                raise errors.ValidationError(f"{field} is larger than 3072×3072.", {field: "too large"})
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise errors.ValidationError(f"{field} is not an image.", {field: "not an image"}) from exc


def _check_models(models: tuple[str, ...]) -> list[str]:
    params_mod.reject_nul_bytes(list(models), "models")
    if len(models) > MAX_MODELS:
        raise errors.ValidationError(f"At most {MAX_MODELS} models.", {"models": "too many"})
    cleaned = list(dict.fromkeys(m.strip() for m in models if m.strip()))
    if any(len(m) > 255 for m in cleaned):
        raise errors.ValidationError("A model name has at most 255 characters.", {"models": "name too long"})
    return cleaned


class RequestService:
    def __init__(
        self,
        ctx: Context,
        capacity: Capacity,
        moderation: Moderation,
        styles: StyleService,
        sharedkeys: SharedKeyService,
        positions: QueuePositions,
    ) -> None:
        self.ctx = ctx
        self.capacity = capacity
        self.moderation = moderation
        self.styles = styles
        self.sharedkeys = sharedkeys
        self.positions = positions

    async def _styled(self, actor: dto.Actor, kind: GenerationKind, ask: GenerationAsk) -> GenerationAsk:
        """The request as its style (if it names one) makes it."""
        if not ask.style:
            return ask
        return dataclasses.replace(await self.styles.apply(actor, ask.style, ask, kind), style=None)

    # --- submitting -----------------------------------------------------------------------------------------

    def _check(self, kind: GenerationKind, ask: GenerationAsk) -> _Checked:
        prompt = params_mod.check_prompt(ask.prompt)
        models = _check_models(ask.models)
        params_mod.reject_nul_bytes(list(ask.workers), "workers")
        if kind is GenerationKind.TEXT:
            return _Checked(kind, prompt, models, None, params_mod.parse_text_params(ask.params))
        image = params_mod.parse_image_params(ask.params)
        if ask.source_mask is not None and ask.source_image is None:
            raise errors.SourceMaskUnnecessaryError
        if ask.source_image is not None:
            if ask.source_processing not in params_mod.SOURCE_PROCESSING:
                raise errors.ValidationError(
                    "source_processing must be img2img, inpainting or outpainting.", {"source_processing": "unknown"}
                )
            _check_image_bytes(ask.source_image, "source_image")
        if ask.source_mask is not None:
            _check_image_bytes(ask.source_mask, "source_mask")
        return _Checked(kind, prompt, models, image, None)

    def _estimate(self, checked: _Checked, ask: GenerationAsk) -> float:
        if checked.image:
            return kudos_rules.image_estimate(
                checked.image,
                checked.models,
                has_source=ask.source_image is not None,
                slow_workers=ask.slow_workers,
                worker_blacklist=ask.worker_blacklist and bool(ask.workers),
            )
        return kudos_rules.text_estimate(checked.text or params_mod.TextParams(), checked.models)

    async def _needs_upfront(self, checked: _Checked, ask: GenerationAsk) -> bool:
        snap = await self.capacity.snapshot()
        threads = snap.threads(checked.kind.value)
        queued = snap.queued.get(checked.kind.value, 0)
        if checked.image:
            return kudos_rules.image_needs_upfront(
                checked.image, slow_workers=ask.slow_workers, active_threads=threads, queued=queued
            )
        return kudos_rules.text_needs_upfront(
            checked.text or params_mod.TextParams(),
            slow_workers=ask.slow_workers,
            active_threads=threads,
            queued=queued,
        )

    async def estimate(self, actor: dto.Actor, kind: GenerationKind, ask: GenerationAsk) -> dto.Estimate:
        """What the request would cost, without queueing it (AI Horde's ``dry_run``)."""
        ask = await self._styled(actor, kind, ask)
        checked = self._check(kind, ask)
        return dto.Estimate(kudos=self._estimate(checked, ask), needs_upfront=await self._needs_upfront(checked, ask))

    async def submit(self, actor: dto.Actor, kind: GenerationKind, ask: GenerationAsk) -> dto.RequestCreated:
        """Queue a request. Raises on bad input, a blocked prompt, too many waiting jobs, missing upfront kudos,
        or a shared key's limits."""
        ask = await self._styled(actor, kind, ask)
        checked = self._check(kind, ask)
        await self.sharedkeys.check_limits(actor, kind.value, checked.payload())
        if actor.ip:
            await self.moderation.check_ip(actor.ip)
        prompt = await self.moderation.screen_prompt(actor, checked.prompt, kind)
        estimate = self._estimate(checked, ask)
        needs_upfront = await self._needs_upfront(checked, ask)
        snap = await self.capacity.snapshot()
        request_id = str(uuid.uuid4())
        source_key = mask_key = None
        if ask.source_image is not None:
            source_key = f"src-{request_id}.img"
            await self.ctx.results.save(source_key, ask.source_image, "image/*")
        if ask.source_mask is not None:
            mask_key = f"mask-{request_id}.img"
            await self.ctx.results.save(mask_key, ask.source_mask, "image/*")
        warnings: list[dict[str, str]] = []
        if not snap.serving(kind.value, checked.models, checked.pixels):
            warnings.append(NO_WORKER_WARNING)
        now = self.ctx.clock()
        async with self.ctx.db.write() as conn:
            user = await user_store.by_id(conn, actor.user_id)
            if user is None:
                raise errors.UserNotFoundError
            if user.suspended:
                raise errors.SuspendedError
            active = await request_store.active_jobs_of_user(conn, user.id, actor.ip if actor.is_anonymous else None)
            if active + checked.n > user.concurrency:
                raise errors.TooManyPromptsError(
                    f"You have {active} jobs waiting; at most {user.concurrency} may wait at once.", retry_after=10
                )
            balance = kudos_rules.from_milli(user.kudos_milli)
            upfront = 0.0
            if needs_upfront and not at_least(Role(user.role), Role.TRUSTED):
                floor = kudos_rules.floor_for(actor.kind)
                reserved = kudos_rules.from_milli(await request_store.reserved_milli(conn, user.id))
                available = balance - floor - reserved
                if available < estimate:
                    raise errors.KudosUpfrontError(
                        f"This request needs {estimate:g} kudos up front and you have {max(0.0, available):g} to spare. "
                        "Use at most 1024×1024 pixels, 50 steps and slow workers, or earn kudos by running a worker.",
                        needed=estimate,
                        balance=balance,
                    )
                upfront = estimate
            priority = kudos_rules.initial_priority(balance, flagged=user.flagged)
            rank = kudos_rules.queue_rank(priority, now.timestamp(), self.ctx.settings.ageing_per_second)
            style_owner = await style_store.owner_of(conn, ask.style_id) if ask.style_id else None
            tax = kudos_rules.HORDE_TAX + (kudos_rules.STYLE_TAX if style_owner not in (None, user.id) else 0.0)
            if actor.shared_key_id is not None:
                await sharedkeys.reserve(
                    conn, actor.shared_key_id, kudos_rules.to_milli(estimate + tax - kudos_rules.HORDE_TAX), now
                )
            values = self._row(request_id, actor, checked, ask, prompt, priority, rank, estimate, upfront, now)
            values.update(source_image_key=source_key, source_mask_key=mask_key, warnings=warnings)
            values.update(style_id=ask.style_id if style_owner is not None else None)
            values.update(charged_milli=kudos_rules.to_milli(tax))
            jobs = [self._job_row(request_id, i, checked) for i in range(checked.n)]
            await request_store.insert(conn, values, jobs)
            await queue_store.add(conn, queue_store.entry_for(values), checked.n)
            await self._pay_tax(conn, user.id, (ask.style_id, style_owner), request_id, tax, now)
            await sharedkeys.spend(conn, actor.shared_key_id, kudos_rules.to_milli(tax))
        logger.info(
            "request_queued", extra={"action": "request_queued", "request_id": request_id, "actor": actor.user_id}
        )
        return dto.RequestCreated(
            id=request_id,
            kudos=estimate,
            warnings=tuple(warnings),
            message=NO_WORKER_WARNING["message"] if warnings else None,
        )

    @staticmethod
    async def _pay_tax(
        conn: Any, user_id: int, style: tuple[str | None, int | None], request_id: str, tax: float, now: dt.datetime
    ) -> None:
        """The horde tax, and the style tax that goes to the owner of someone else's style."""
        entries = [ledger.Entry(user_id, -kudos_rules.to_milli(tax), kudos_rules.EntryKind.REQUEST_TAX, request_id)]
        style_id, style_owner = style
        if style_id is not None and style_owner is not None:
            await style_store.count_use(conn, style_id)
            if style_owner != user_id:
                reward = kudos_rules.to_milli(kudos_rules.STYLE_TAX)
                style_kind = kudos_rules.EntryKind.STYLE_REWARD
                entries.append(ledger.Entry(style_owner, reward, style_kind, request_id, counterparty_id=user_id))
        await ledger.append_all(conn, entries, now=now)

    def _row(
        self,
        request_id: str,
        actor: dto.Actor,
        checked: _Checked,
        ask: GenerationAsk,
        prompt: str,
        priority: float,
        rank: float,
        estimate: float,
        upfront: float,
        now: dt.datetime,
    ) -> dict[str, Any]:
        base = (
            kudos_rules.image_base_cost(checked.image, has_source=ask.source_image is not None)
            if checked.image
            else 0.0
        )
        return {
            "id": request_id,
            "kind": checked.kind.value,
            "user_id": actor.user_id,
            "shared_key_id": actor.shared_key_id,
            "prompt": prompt,
            "params": checked.payload(),
            "models": checked.models,
            "n": checked.n,
            "nsfw": ask.nsfw,
            "censor_nsfw": ask.censor_nsfw,
            "trusted_workers": ask.trusted_workers,
            "slow_workers": ask.slow_workers,
            "worker_ids": list(dict.fromkeys(ask.workers))[:5],
            "worker_blacklist": ask.worker_blacklist,
            "r2": ask.r2,
            "shared": ask.shared,
            "source_processing": ask.source_processing if ask.source_image is not None else None,
            "state": RequestState.WAITING.value,
            "priority": priority,
            "rank": rank,
            "things": checked.things,
            "base_cost_milli": kudos_rules.to_milli(base),
            "estimate_milli": kudos_rules.to_milli(estimate),
            "upfront_milli": kudos_rules.to_milli(upfront),
            "charged_milli": kudos_rules.to_milli(kudos_rules.HORDE_TAX),
            "faults": 0,
            "kept": not actor.is_anonymous,
            "ip": actor.ip,
            "client_agent": (actor.client_agent or "")[:200] or None,
            "created_at": now,
            "updated_at": now,
            "expires_at": now + dt.timedelta(seconds=self.ctx.settings.request_expiry_seconds),
        }

    def _job_row(self, request_id: str, position: int, checked: _Checked) -> dict[str, Any]:
        if checked.image:
            seed = params_mod.seed_for_job(checked.image, position, secrets.randbelow(2**32))
        else:
            seed = checked.text.seed if checked.text and checked.text.seed is not None else secrets.randbelow(2**32)
        return {
            "id": str(uuid.uuid4()),
            "request_id": request_id,
            "position": position,
            "state": JobState.QUEUED.value,
            "seed": seed,
            "attempts": 0,
            "reward_milli": 0,
            "charge_milli": 0,
            "favourite": False,
            "public": False,
        }

    # --- following ------------------------------------------------------------------------------------------

    async def status(
        self, actor: dto.Actor | None, request_id: str, *, with_generations: bool = True
    ) -> dto.RequestStatus:
        """Where a request stands: counts, queue position, ETA, and the finished results."""
        try:
            uuid.UUID(request_id)
        except ValueError as exc:
            raise errors.RequestNotFoundError from exc
        async with self.ctx.db.read() as conn:
            req = await request_store.by_id(conn, request_id)
            if req is None:
                raise errors.RequestNotFoundError
            jobs = await request_store.jobs_of(conn, request_id)
            ahead, things_ahead = await self.positions.position(conn, request_id)
            names = (
                await worker_store.names(conn, [j.worker_id for j in jobs if j.worker_id]) if with_generations else {}
            )
        return await self._status(req, jobs, ahead, things_ahead, names, with_generations)

    async def _status(
        self, req: Any, jobs: list[Any], ahead: int, things_ahead: float, names: dict[str, str], with_generations: bool
    ) -> dto.RequestStatus:
        counts = dict.fromkeys(JobState, 0)
        for job in jobs:
            counts[JobState(job.state)] += 1
        restarted = sum(max(0, job.attempts - 1) for job in jobs)
        waiting, processing = counts[JobState.QUEUED], counts[JobState.PROCESSING]
        finished = counts[JobState.DONE]
        state = RequestState(req.state)
        snap = await self.capacity.snapshot()
        pixels = req.params.get("width", 0) * req.params.get("height", 0) if req.kind == "image" else 0
        can_serve = bool(snap.serving(req.kind, req.models, pixels))
        throughput = snap.throughput(req.kind, req.models)
        wait = 0
        if waiting or processing:
            work = things_ahead + req.things * (waiting + processing)
            wait = math.ceil(work / throughput) if throughput > 0 else 0
        blocked = None
        if waiting and not can_serve:
            blocked = "No online worker serves these models at this size with these settings."
            # the honest answer: it waits until a worker comes or it expires, whichever is first
            wait = max(wait, math.ceil((req.expires_at - self.ctx.clock()).total_seconds()))
        generations = (
            tuple(self._generation(job, names) for job in jobs if job.state == JobState.DONE.value)
            if with_generations
            else ()
        )
        return dto.RequestStatus(
            id=req.id,
            kind=req.kind,
            state=state.value,
            prompt=req.prompt,
            params=req.params,
            models=tuple(req.models),
            n=req.n,
            finished=finished,
            processing=processing,
            restarted=restarted,
            waiting=waiting,
            done=not waiting and not processing,
            faulted=state is RequestState.FAULTED,
            cancelled=state is RequestState.CANCELLED,
            is_possible=can_serve or processing > 0 or not waiting,
            wait_time=wait,
            queue_position=ahead + 1 if waiting else 0,
            kudos=kudos_rules.from_milli(req.charged_milli),
            shared=req.shared,
            r2=req.r2,
            created_at=req.created_at,
            warnings=tuple(req.warnings or ()),
            generations=generations,
            blocked_reason=blocked,
            user_id=req.user_id,
        )

    @staticmethod
    def _generation(job: Any, names: dict[str, str]) -> dto.Generation:
        return dto.Generation(
            id=job.id,
            worker_id=job.worker_id or "",
            worker_name=names.get(job.worker_id or "", ""),
            model=job.model or "",
            seed=int(job.seed),
            state=job.result_state or "ok",
            censored=job.result_state == "censored",
            result_key=job.result_key,
            text=job.result_text,
            gen_metadata=tuple(job.gen_metadata or ()),
            favourite=job.favourite,
            public=job.public,
        )

    async def cancel(self, actor: dto.Actor, request_id: str) -> dto.RequestStatus:
        """Stop a request: queued jobs are dropped, finished results kept; jobs with workers finish and are paid."""
        before = await self.status(actor, request_id)
        now = self.ctx.clock()
        async with self.ctx.db.write() as conn:
            req = await request_store.by_id(conn, request_id)
            if req is None:
                raise errors.RequestNotFoundError
            self._check_owner(actor, req)
            if req.state == RequestState.WAITING.value:
                await job_store.cancel_queued(conn, request_id)
                await queue_store.remove(conn, [request_id])
                await request_store.set_state(conn, request_id, RequestState.CANCELLED, now)
        logger.info("request_cancelled", extra={"action": "request_cancelled", "request_id": request_id})
        return before

    @staticmethod
    def _check_owner(actor: dto.Actor, req: Any) -> None:
        if req.user_id != actor.user_id and not at_least(actor.role, Role.MODERATOR):
            raise errors.NotOwnerError
        if actor.is_anonymous and req.ip and actor.ip and req.ip != actor.ip:
            raise errors.NotOwnerError

    async def history(self, actor: dto.Actor, *, limit: int = 50, offset: int = 0) -> list[dto.RequestStatus]:
        """The actor's own requests, newest first (the gallery)."""
        if actor.is_anonymous:
            raise errors.AnonForbiddenError
        async with self.ctx.db.read() as conn:
            rows = await request_store.for_user(conn, actor.user_id, limit=min(limit, 200), offset=offset)
            result = []
            for req in rows:
                jobs = await request_store.jobs_of(conn, req.id)
                names = await worker_store.names(conn, [j.worker_id for j in jobs if j.worker_id])
                result.append(await self._status(req, jobs, 0, 0.0, names, True))
        return result
