"""The alchemists' side: pop forms, upload a post-processed image, submit results (the worker's owner paid, the
requester charged), and the sweeps that re-queue forms whose worker went silent and remove expired
interrogations."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from horde.queue import dto, errors
from horde.queue.domain import alchemy, kudos as kudos_rules, params as params_mod
from horde.queue.domain.alchemy import FormState
from horde.queue.domain.jobs import GenerationKind
from horde.queue.domain.retry import RetryPolicy
from horde.queue.domain.roles import ANONYMOUS_USER_ID, AccountKind
from horde.queue.service import escrow, result_checks
from horde.queue.service.alchemy_requests import overall_state, source_key
from horde.queue.service.capacity import Capacity
from horde.queue.service.context import Context
from horde.queue.service.pops.asks import Pop, PopAsk, checked
from horde.queue.service.pops.check_in import CheckIns
from horde.queue.store import alchemy as alchemy_store, ledger, users as user_store, workers as worker_store
from horde.queue.store.connection import Connection
from horde.queue.store.tables import AnyRow

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
SECONDS_PER_TILE = 10  #: extra time a post-processor gets per 512×512 tile


@dataclasses.dataclass(frozen=True)
class AlchemyPopAsk:
    name: str
    forms: tuple[str, ...]
    amount: int = 1
    max_tiles: int = 16
    threads: int = 1
    bridge_agent: str = ""
    priority_user_ids: tuple[int, ...] = ()


@dataclasses.dataclass(frozen=True)
class AlchemySubmitAsk:
    form_id: str
    result: Mapping[str, Any]
    state: str = "ok"  #: ok, or faulted


def result_key(form_id: str) -> str:
    return f"alc-{form_id}.out"


def pop_ask_of(ask: AlchemyPopAsk) -> tuple[tuple[str, ...], PopAsk]:
    """The known forms an alchemist serves, and its pop as a worker's check-in sees it (a worker of type
    ``interrogation`` whose "models" are its forms)."""
    forms = tuple(dict.fromkeys(f for f in ask.forms if f in alchemy.FORMS))
    if not forms:
        raise errors.ValidationError(
            f"Serve at least one form of {', '.join(sorted(alchemy.FORMS))}.", {"forms": "none known"}
        )
    if not 1 <= ask.max_tiles <= 256:
        raise errors.ValidationError("max_tiles is 1 to 256.", {"max_tiles": "1-256"})
    pop_ask = PopAsk(
        name=ask.name,
        kind=GenerationKind.INTERROGATION,
        models=forms,
        threads=ask.threads,
        amount=ask.amount,
        bridge_agent=ask.bridge_agent,
        nsfw=True,
        allow_img2img=False,
        allow_painting=False,
        allow_post_processing=bool(set(forms) & alchemy.POST_PROCESSORS),
        priority_user_ids=ask.priority_user_ids,
    )
    return forms, pop_ask


class AlchemyWork:
    def __init__(self, ctx: Context, capacity: Capacity) -> None:
        self.ctx = ctx
        self.check_ins = CheckIns(ctx, capacity)
        self.retry = RetryPolicy(ctx.settings.max_attempts)

    # --- pop --------------------------------------------------------------------------------------------------

    async def pop(self, actor: dto.Actor, ask: AlchemyPopAsk) -> dto.PoppedForms:
        """Check the alchemist in (its first pop registers it, as a worker of type ``interrogation``) and hand it
        up to ``amount`` waiting forms it serves, best first. A paused worker or one in maintenance gets only its
        owner's and priority users' forms."""
        if actor.is_anonymous:
            raise errors.AnonForbiddenError("Anonymous users cannot run workers; register for an API key.")
        if actor.flagged:
            raise errors.FlaggedError
        forms, pop_ask = pop_ask_of(ask)
        name, models = checked(pop_ask)
        pop = Pop(actor, pop_ask, name, list(models))
        now = self.ctx.clock()
        async with self.ctx.db.write() as conn:
            worker = await self._check_in(conn, pop, now)
            base = self.ctx.settings.alchemy_ttl_seconds
            wanted = alchemy_store.Wanted(
                forms=forms,
                max_tiles=ask.max_tiles,
                trusted=actor.is_trusted,
                amount=ask.amount,
                first_users=[actor.user_id, *ask.priority_user_ids[:10]],
                only_first_users=bool(worker.paused or worker.maintenance),
            )
            claimed = await alchemy_store.claim(
                conn,
                wanted,
                worker_id=worker.id,
                now=now,
                deadline=now + dt.timedelta(seconds=base + SECONDS_PER_TILE * ask.max_tiles),
            )
        if worker.maintenance and not claimed:
            raise errors.WorkerMaintenanceError(worker.maintenance_msg or None)
        handed = tuple(
            dto.PoppedForm(
                id=row.id,
                form=row.name,
                payload=dict(row.payload or {}),
                interrogation_id=row.interrogation_id,
                source_key=row.source_key,
                handout=row.attempts,
                uploads=row.name in alchemy.POST_PROCESSORS,
            )
            for row in claimed
        )
        for form in handed:
            logger.info("form_claimed", extra={"action": "form_claimed", "job_id": form.id, "worker": name})
        return dto.PoppedForms(forms=handed, skipped={})

    async def _check_in(self, conn: Connection, pop: Pop, now: dt.datetime) -> Any:
        worker: Any = await worker_store.by_name(conn, pop.name)
        if worker is None:
            worker, fresh = await self.check_ins.register(conn, pop, now)
            if fresh is not None:
                return fresh
        uptime: list[ledger.Entry] = []
        check_in = self.check_ins.check_in(pop, worker, now, uptime)
        if check_in is not None:
            await worker_store.check_in_all(conn, [check_in])
        return worker

    # --- images -----------------------------------------------------------------------------------------------

    async def source_image(self, interrogation_id: str) -> bytes | None:
        """An interrogation's image (the caller checked the URL's signature)."""
        return await self.ctx.results.load(source_key(interrogation_id))

    async def form_image(self, form_id: str) -> bytes | None:
        """A post-processor's image (the caller checked the URL's signature)."""
        return await self.ctx.results.load(result_key(form_id))

    # --- results ----------------------------------------------------------------------------------------------

    async def upload(self, form_id: str, data: bytes, *, handout: int) -> None:
        """Store an image a worker PUT to its form's signed upload URL: only the worker holding the form now may
        (the URL is bound to the hand-out, so a worker the form was taken from cannot replace the result)."""
        async with self.ctx.db.read() as conn:
            form = await alchemy_store.form_by_id(conn, form_id)
        if form is None:
            raise errors.InvalidJobIdError
        if FormState(form.state) in alchemy.FINAL_FORM_STATES:
            raise errors.DuplicateGenError("This form is finished; the upload is not needed.")
        if form.state != FormState.PROCESSING.value or form.attempts != handout:
            raise errors.AbortedGenError("This form was handed to another worker; this upload is not taken.")
        if len(data) > MAX_UPLOAD_BYTES:
            raise errors.ValidationError("The upload is larger than 50 MB.")
        await self.ctx.results.save(result_key(form_id), data, content_type="application/octet-stream")

    async def submit(self, actor: dto.Actor, ask: AlchemySubmitAsk) -> dto.SubmitResult:
        """Finish a form: check the result (a post-processor's must be an image of the right size), store it, pay
        the worker's owner and charge the requester, in one transaction. Submitting a finished form again answers
        the first reward. A result that is not what the form asks for is the worker's fault: nothing is paid and
        the form goes back to the queue."""
        try:
            uuid.UUID(ask.form_id)
        except ValueError as exc:
            raise errors.InvalidJobIdError from exc
        params_mod.reject_nul_bytes([repr(dict(ask.result))], "result")
        now = self.ctx.clock()
        fault: errors.HordeError | None = None
        async with self.ctx.db.write() as conn:
            found = await alchemy_store.form_for_submit(conn, ask.form_id)
            if found is None:
                raise errors.InvalidJobIdError
            form, interrogation = found
            worker = await worker_store.by_id(conn, form.worker_id) if form.worker_id else None
            if worker is not None and worker.owner_id != actor.user_id:
                if form.attempts > 1:
                    raise errors.AbortedGenError
                raise errors.WrongCredentialsError("This form belongs to another user's worker.")
            if form.state == FormState.DONE.value:
                return dto.SubmitResult(reward=kudos_rules.from_milli(form.reward_milli), duplicate=True)
            if form.state != FormState.PROCESSING.value or worker is None:
                raise errors.AbortedGenError
            if ask.state == "faulted":
                await self._release(conn, form, now)
                return dto.SubmitResult(reward=0.0)
            try:
                result, image = await self._checked(form, interrogation, ask.result)
            except errors.ValidationError as exc:
                await self._release(conn, form, now)
                fault = exc
            else:
                reward = await self._finish(conn, form, interrogation, worker, result, image, now)
        if fault is not None:
            raise fault
        logger.info("form_finished", extra={"action": "form_finished", "job_id": ask.form_id})
        return dto.SubmitResult(reward=kudos_rules.from_milli(reward))

    async def _checked(
        self, form: AnyRow, interrogation: AnyRow, raw: Mapping[str, Any]
    ) -> tuple[dict[str, Any], bytes | None]:
        """The result as the status shows it, and a post-processor's image (None when it was uploaded)."""
        result = alchemy.checked_result(form.name, raw)
        if form.name not in alchemy.POST_PROCESSORS:
            return result, None
        value = result[form.name]
        image: bytes | None = None
        if value == alchemy.R2:
            data = await self.ctx.results.load(result_key(form.id))
        else:
            try:
                data = image = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                data = None
        scale = alchemy.scale_of(form.name)
        width, height = interrogation.width * scale, interrogation.height * scale
        if data is None or not result_checks.is_image_sized(data, {(width, height)}):
            raise errors.ValidationError(
                f"A {form.name} result is a {width}×{height} image, uploaded or in base64; nothing was paid and the "
                "form went back to the queue.",
                {"result": "not an image of the right size"},
            )
        return {form.name: alchemy.R2}, image

    async def _finish(
        self, conn: Connection, form: AnyRow, interrogation: AnyRow, worker: Any, result: dict[str, Any],
        image: bytes | None, now: dt.datetime,
    ) -> int:  # fmt: skip
        """Record a good result; pay as much of the worker's reward as the requester could be charged."""
        key = result_key(form.id) if form.name in alchemy.POST_PROCESSORS else None
        if image is not None and key is not None:
            await self.ctx.results.save_all_in(conn, [(key, image)])
        reward = kudos_rules.to_milli(alchemy.form_kudos(form.name, interrogation.tiles))
        charge = kudos_rules.to_milli(alchemy.requester_charge(reward / 1000, slow_workers=interrogation.slow_workers))
        people = [p for p in (interrogation.user_id, worker.owner_id) if p != ANONYMOUS_USER_ID]
        rows = await user_store.lock_all(conn, people)
        requester = rows.get(interrogation.user_id)
        spare = (
            max(0, kudos_rules.spare_milli(requester.kudos_milli, AccountKind(requester.kind), 0)) if requester else 0
        )
        reward = kudos_rules.covered_reward(reward, charge, min(charge, spare))
        await alchemy_store.finish(
            conn, form.id, worker.id, result=result, result_key=key, reward_milli=reward, charge_milli=charge, now=now
        )
        busy = max(0.0, (now - form.popped_at).total_seconds()) if form.popped_at else 0.0
        await worker_store.count_done_all(conn, [worker_store.Done(worker.id, reward, float(form.tiles), busy)])
        await self._settle(conn, interrogation.id, now, charged=charge)
        entries = [
            ledger.Entry(worker.owner_id, reward, kudos_rules.EntryKind.WORKER_REWARD, interrogation.id, form.id),
            ledger.Entry(
                interrogation.user_id, -charge, kudos_rules.EntryKind.REQUEST_CHARGE, interrogation.id, form.id
            ),
        ]
        await ledger.append_all(conn, await escrow.hold(conn, entries, self.ctx.settings, now), now=now)
        return reward

    async def _release(self, conn: Connection, form: AnyRow, now: dt.datetime) -> None:
        """A form failed or timed out: back to the queue, or, out of attempts, faulted."""
        requeue = self.retry.decide(form.attempts).requeue
        if await alchemy_store.release(conn, form.id, requeue=requeue):
            await self._settle(conn, form.interrogation_id, now)
            logger.info("form_released", extra={"action": "form_requeued" if requeue else "form_faulted"})

    async def _settle(self, conn: Connection, interrogation_id: str, now: dt.datetime, *, charged: int = 0) -> None:
        """Keep the interrogation's state, charge and expiry in step with its forms."""
        row = await alchemy_store.by_id(conn, interrogation_id)
        if row is None:  # pragma: no cover - read in this transaction
            return
        states = [f.state for f in await alchemy_store.forms_of(conn, interrogation_id)]
        state = overall_state(states, row.state == FormState.CANCELLED.value)
        if state == FormState.PROCESSING.value:
            state = FormState.WAITING.value  # the row keeps waiting until every form is final
        expiry = now + dt.timedelta(seconds=self.ctx.settings.request_expiry_seconds)
        await alchemy_store.update(
            conn,
            interrogation_id,
            state=state,
            charged_milli=row.charged_milli + charged,
            updated_at=now,
            expires_at=max(row.expires_at, expiry),
        )

    # --- sweeps -----------------------------------------------------------------------------------------------

    async def requeue_overdue(self) -> tuple[int, int]:
        """Forms whose worker missed the deadline go back to the queue (or fault). Returns (requeued, faulted)."""
        now = self.ctx.clock()
        requeued = faulted = 0
        async with self.ctx.db.write() as conn:
            for form in await alchemy_store.overdue(conn, now):
                await self._release(conn, form, now)
                if self.retry.decide(form.attempts).requeue:
                    requeued += 1
                else:
                    faulted += 1
        return requeued, faulted

    async def expire(self) -> int:
        """Remove interrogations past their expiry (none with a form in work), with their images."""
        now = self.ctx.clock()
        async with self.ctx.db.write() as conn:
            rows = await alchemy_store.expired(conn, now)
            ids = [row.id for row in rows]
            keys = [row.source_key for row in rows] + await alchemy_store.result_keys(conn, ids)
            await alchemy_store.delete(conn, ids)
        for key in keys:
            await self.ctx.results.delete(key)
        return len(ids)
