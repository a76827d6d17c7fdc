"""Asking for images and texts: submit (admit, price, persist), estimate, status, cancel."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid

from horde.queue import dto, errors
from horde.queue.domain import kudos as kudos_rules, params as params_mod, roles as roles_mod
from horde.queue.domain.jobs import GenerationKind, JobState, RequestState
from horde.queue.domain.roles import AccountKind
from horde.queue.service import request_checks, request_status, requesters, sharedkeys
from horde.queue.service.asks import GenerationAsk
from horde.queue.service.capacity import Capacity
from horde.queue.service.context import Context
from horde.queue.service.moderation import Moderation
from horde.queue.service.positions import QueuePositions
from horde.queue.service.request_checks import Checked, Priced
from horde.queue.service.sharedkeys import SharedKeyService
from horde.queue.service.styles import StyleService
from horde.queue.service.users import actor_from_row
from horde.queue.store import (
    jobs as job_store,
    ledger,
    locks,
    queue as queue_store,
    requests as request_store,
    styles as style_store,
    users as user_store,
    workers as worker_store,
)
from horde.queue.store.connection import Connection
from horde.queue.store.rows import JobRow, RequestRow, UserRow

logger = logging.getLogger(__name__)

NO_WORKER_WARNING = {
    "code": "NoAvailableWorker",
    "message": "No worker online can serve this request right now. It waits until one comes, or expires.",
}


@dataclasses.dataclass(frozen=True)
class _Admitted:
    """A request that passed every check that needs no database: its style applied, input checked, prompt
    screened."""

    ask: GenerationAsk
    checked: Checked
    prompt: str
    multiplier: float
    estimate: float
    needs_upfront: bool


async def _share_address_limit(conn: Connection, ip: str, n: int, concurrency: int) -> None:
    """Accounts without kudos to spare share one concurrency limit per address: ten accounts registered from one
    address must not take ten times a leech's share of the workers (issue 16's simulation)."""
    await locks.hold(conn, f"floor-ip:{ip}")
    at_ip = await request_store.active_jobs_at_ip(conn, ip)
    if at_ip + n > concurrency:
        raise errors.TooManyPromptsError(
            f"Accounts without kudos share one limit per address: {at_ip} jobs from yours are waiting; at most "
            f"{concurrency} may wait at once. Earn kudos (run a worker, rate images) to have your own.",
            retry_after=10,
        )


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

    async def _needs_upfront(self, checked: Checked, ask: GenerationAsk) -> bool:
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
        checked = request_checks.check(kind, ask)
        estimate = request_checks.estimate_of(checked, ask, self.ctx.models.price_multiplier(checked.models))
        return dto.Estimate(kudos=estimate, needs_upfront=await self._needs_upfront(checked, ask))

    # --- submitting -----------------------------------------------------------------------------------------

    async def submit(self, actor: dto.Actor, kind: GenerationKind, ask: GenerationAsk) -> dto.RequestCreated:
        """Queue a request. Raises on bad input, a blocked prompt, too many waiting jobs, missing upfront kudos,
        or a shared key's limits. Uploaded sources are stored only once every check has passed."""
        admitted = await self._admit(actor, kind, ask)
        snap = await self.capacity.snapshot()
        warnings = (
            [] if snap.serving(kind.value, admitted.checked.models, admitted.checked.pixels) else [NO_WORKER_WARNING]
        )
        request_id = str(uuid.uuid4())
        sources = request_checks.source_keys(request_id, admitted.ask)
        try:
            async with self.ctx.db.write() as conn:
                user = await self._requester(conn, actor, admitted.checked)
                priced = await self._price(conn, actor, user, admitted)
                await self.ctx.results.save_all_in(conn, sources)
                await self._persist(conn, request_id, actor, admitted, priced, warnings)
        except BaseException:
            for key, _ in sources:  # written before a COMMIT that did not happen
                await self.ctx.results.delete(key)
            raise
        logger.info(
            "request_queued", extra={"action": "request_queued", "request_id": request_id, "actor": actor.user_id}
        )
        message = NO_WORKER_WARNING["message"] if warnings else None
        return dto.RequestCreated(id=request_id, kudos=priced.estimate, warnings=tuple(warnings), message=message)

    async def _admit(self, actor: dto.Actor, kind: GenerationKind, ask: GenerationAsk) -> _Admitted:
        """The checks that need no transaction: style, input, shared-key limits, IP timeouts, prompt filters."""
        ask = await self._styled(actor, kind, ask)
        checked = request_checks.check(kind, ask)
        await self.sharedkeys.check_limits(actor, kind.value, checked.payload())
        await self.moderation.admit(actor)  # modes (maintenance, raid) and IP blocks
        prompt = await self.moderation.screen_prompt(actor, checked.prompt, kind)
        multiplier = self.ctx.models.price_multiplier(checked.models)
        estimate = request_checks.estimate_of(checked, ask, multiplier)
        return _Admitted(ask, checked, prompt, multiplier, estimate, await self._needs_upfront(checked, ask))

    @staticmethod
    async def _requester(conn: Connection, actor: dto.Actor, checked: Checked) -> UserRow:
        """The requester's row, if they may queue this many more jobs now; locked, so the checks of jobs in flight
        and of spare kudos hold until this request is written."""
        user = await requesters.locked(conn, actor)
        active = await request_store.active_jobs_of_user(conn, user.id, actor.ip if actor.is_anonymous else None)
        if active + checked.n > user.concurrency:
            raise errors.TooManyPromptsError(
                f"You have {active} jobs waiting; at most {user.concurrency} may wait at once.", retry_after=10
            )
        if not actor.is_anonymous and actor.ip and kudos_rules.spare_milli(user.kudos_milli, AccountKind(user.kind), 0) <= 0:  # fmt: skip
            await _share_address_limit(conn, actor.ip, checked.n, user.concurrency)
        return user

    async def _price(self, conn: Connection, actor: dto.Actor, user: UserRow, admitted: _Admitted) -> Priced:
        """The upfront kudos a big request holds (refused when the requester cannot spare them), its priority and
        rank, and the taxes it pays now."""
        estimate, upfront = admitted.estimate, 0.0
        if admitted.needs_upfront and not roles_mod.is_trusted(roles_mod.from_flags(user)):
            reserved = await request_store.reserved_milli(conn, user.id)
            spare = kudos_rules.from_milli(kudos_rules.spare_milli(user.kudos_milli, actor.kind, reserved))
            if spare < estimate:
                raise errors.KudosUpfrontError(
                    f"This request needs {estimate:g} kudos up front and you have {max(0.0, spare):g} to spare. "
                    "Use at most 1024×1024 pixels, 50 steps and slow workers, or earn kudos by running a worker.",
                    needed=estimate,
                    balance=kudos_rules.from_milli(user.kudos_milli),
                )
            upfront = estimate
        priority = kudos_rules.initial_priority(kudos_rules.from_milli(user.kudos_milli), flagged=user.flagged)
        rank = kudos_rules.queue_rank(priority, self.ctx.clock().timestamp(), self.ctx.settings.ageing_per_second)
        style_id = admitted.ask.style_id
        style_owner = await style_store.owner_of(conn, style_id) if style_id else None
        tax = kudos_rules.HORDE_TAX + (kudos_rules.STYLE_TAX if style_owner not in (None, user.id) else 0.0)
        payable = max(0, kudos_rules.spare_milli(user.kudos_milli, AccountKind(user.kind), 0))
        return Priced(estimate, upfront, priority, rank, tax, style_owner, admitted.multiplier, payable)

    async def _persist(
        self, conn: Connection, request_id: str, actor: dto.Actor, admitted: _Admitted, priced: Priced,
        warnings: list[dict[str, str]],
    ) -> None:  # fmt: skip
        """Insert the request, its jobs and its queue entry; hold a shared key's share; pay the taxes."""
        now = self.ctx.clock()
        checked, ask = admitted.checked, admitted.ask
        if actor.shared_key_id is not None:
            held = kudos_rules.to_milli(priced.estimate + priced.tax - kudos_rules.HORDE_TAX)
            await sharedkeys.reserve(conn, actor.shared_key_id, held, now)
        expiry = self.ctx.settings.request_expiry_seconds
        values = request_checks.request_row(request_id, actor, checked, ask, admitted.prompt, priced, expiry, now)
        values["warnings"] = warnings
        jobs = [request_checks.job_row(request_id, i, checked) for i in range(checked.n)]
        await request_store.insert(conn, values, jobs)
        await queue_store.add(conn, queue_store.entry_for(values), checked.n)
        await self._pay_tax(conn, actor.user_id, (ask.style_id, priced.style_owner), request_id, priced, now)
        await sharedkeys.spend(conn, actor.shared_key_id, kudos_rules.to_milli(priced.tax))

    @staticmethod
    async def _pay_tax(
        conn: Connection, user_id: int, style: tuple[str | None, int | None], request_id: str, priced: Priced,
        now: dt.datetime,
    ) -> None:  # fmt: skip
        """The horde tax, and the style tax that goes to the owner of someone else's style: as much of it as the
        requester could pay after the horde's (nothing is paid that was not charged)."""
        tax_milli = kudos_rules.to_milli(priced.tax)
        entries = [ledger.Entry(user_id, -tax_milli, kudos_rules.EntryKind.REQUEST_TAX, request_id)]
        style_id, style_owner = style
        if style_id is not None and style_owner is not None:
            await style_store.count_use(conn, style_id)
            after_horde_tax = priced.payable_milli - kudos_rules.to_milli(kudos_rules.HORDE_TAX)
            reward = min(kudos_rules.to_milli(kudos_rules.STYLE_TAX), after_horde_tax)
            if style_owner != user_id and reward > 0:
                style_kind = kudos_rules.EntryKind.STYLE_REWARD
                entries.append(ledger.Entry(style_owner, reward, style_kind, request_id, counterparty_id=user_id))
        await ledger.append_all(conn, entries, now=now)

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
            names = await self._worker_names(conn, jobs) if with_generations else {}
        return await self._status(req, jobs, ahead, things_ahead, names, with_generations)

    @staticmethod
    async def _worker_names(conn: Connection, jobs: list[JobRow]) -> dict[str, str]:
        return await worker_store.names(conn, [job.worker_id for job in jobs if job.worker_id])

    async def _status(
        self, req: RequestRow, jobs: list[JobRow], ahead: int, things_ahead: float, names: dict[str, str],
        with_generations: bool,
    ) -> dto.RequestStatus:  # fmt: skip
        snap = await self.capacity.snapshot()
        seen = request_status.progress(req, jobs, things_ahead, snap, self.ctx.clock())
        done = [job for job in jobs if job.state == JobState.DONE.value] if with_generations else []
        generations = tuple(request_status.generation(job, names) for job in done)
        return request_status.status_of(req, ahead, seen, generations)

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

    async def cancel_without_key(self, request_id: str, *, ip: str | None) -> dto.RequestStatus:
        """Cancel by the request's id alone (horde-sdk sends no key): holding the id is the requester's proof, so
        the cancel is made as the requester, from the caller's address."""
        status = await self.status(None, request_id, with_generations=False)
        async with self.ctx.db.read() as conn:
            owner = await user_store.by_id(conn, status.user_id)
        if owner is None:
            raise errors.UserNotFoundError
        if owner.suspended:
            raise errors.SuspendedError
        actor = actor_from_row(owner, ip=ip, client_agent=None)
        return await self.cancel(actor, request_id)

    @staticmethod
    def _check_owner(actor: dto.Actor, req: RequestRow) -> None:
        if req.user_id != actor.user_id and not actor.is_moderator:
            raise errors.NotOwnerError
        if actor.is_anonymous and req.ip and actor.ip and req.ip != actor.ip:
            raise errors.NotOwnerError

    async def history(self, actor: dto.Actor, *, limit: int = 50, offset: int = 0) -> list[dto.RequestStatus]:
        """The actor's own requests, newest first (the gallery)."""
        if actor.is_anonymous:
            raise errors.AnonForbiddenError
        async with self.ctx.db.read() as conn:
            found = await request_store.for_user(conn, actor.user_id, limit=min(limit, 200), offset=offset)
            result = []
            for req in found:
                jobs = await request_store.jobs_of(conn, req.id)
                names = await self._worker_names(conn, jobs)
                result.append(await self._status(req, jobs, 0, 0.0, names, True))
        return result
