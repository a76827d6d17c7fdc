"""Submits: a worker hands in a job's result, its owner is paid and the requester charged; failed jobs go back to
the queue.

Submits that arrive together are carried out together (``coalescer``): one transaction, one statement
per write for all of them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from typing import Any

from horde.queue import dto, errors
from horde.queue.domain import (
    drops,
    kudos as kudos_rules,
    params as params_mod,
    roles as roles_mod,
    suspicion as suspicion_rules,
)
from horde.queue.domain.jobs import FINAL_STATES, GenerationKind, JobState, RequestState, ResultState
from horde.queue.domain.retry import RetryPolicy
from horde.queue.domain.roles import ANONYMOUS_USER_ID, AccountKind
from horde.queue.service import csam_results, escrow, result_checks, sharedkeys, suspicion
from horde.queue.service.coalescer import Coalescer, in_flight
from horde.queue.service.context import Context
from horde.queue.service.pops import decoys
from horde.queue.store import (
    jobs as job_store,
    ledger,
    queue as queue_store,
    requests as request_store,
    users as user_store,
    workers as worker_store,
)
from horde.queue.store.connection import Connection
from horde.queue.store.rows import Holder, JobRow, RequestRow, RequestWork, WorkerRow

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class SubmitAsk:
    job_id: str
    state: ResultState = ResultState.OK
    seed: int | None = None
    image: bytes | None = None  #: None: the image was uploaded to the job's upload URL
    text: str | None = None
    gen_metadata: tuple[dict[str, Any], ...] = ()


@dataclasses.dataclass(frozen=True)
class _Submit:
    actor: dto.Actor
    ask: SubmitAsk


@dataclasses.dataclass(frozen=True)
class _Finished:
    """A submit that finishes its job, as ``_finish_all`` records it."""

    ask: SubmitAsk
    job: JobRow
    req: RequestWork
    worker: Holder
    reward_milli: int
    charge_milli: int
    things: float


Held = tuple[JobRow, Holder | None, RequestWork]  #: a submitted job, the worker holding it, and its request


def _done(f: _Finished, now: dt.datetime) -> worker_store.Done:
    """What a finished job adds to its worker's counters."""
    busy = max(0.0, (now - f.job.popped_at).total_seconds()) if f.job.popped_at else 0.0
    return worker_store.Done(f.worker.id, f.reward_milli, f.things, busy)


def _payments(f: _Finished) -> list[ledger.Entry]:
    """The worker owner's reward and the requester's charge for a finished job."""
    return [
        ledger.Entry(f.worker.owner_id, f.reward_milli, kudos_rules.EntryKind.WORKER_REWARD, f.req.id, f.job.id),
        ledger.Entry(f.req.user_id, -f.charge_milli, kudos_rules.EntryKind.REQUEST_CHARGE, f.req.id, f.job.id),
    ]


TAX_MILLI = kudos_rules.to_milli(kudos_rules.HORDE_TAX)


def _is_csam(metadata: dict[str, Any]) -> bool:
    """``gen_metadata`` saying a worker's CSAM guard blocked the image."""
    return metadata.get("type") == "censorship" and metadata.get("value") == "csam"


def _too_fast(f: _Finished, now: dt.datetime) -> bool:
    """Whether a result came back faster than any real worker makes it (``suspicion.too_fast``)."""
    if f.job.popped_at is None:
        return False
    return suspicion_rules.too_fast(f.req.kind, f.things, (now - f.job.popped_at).total_seconds())


async def _covered(conn: Connection, finished: list[_Finished], now: dt.datetime) -> list[_Finished]:
    """Each job's charge as far as its requester can pay it (their balance above their floor, job by job), and its
    worker's reward cut to the share paid: nothing is paid that was not charged. A requester on their floor (the
    anonymous user always is) gets the image all the same; its worker earns uptime, not kudos from nothing. A
    result back faster than any real worker makes it earns an untrusted owner nothing and costs only the horde's
    tax: a blank image handed back at once is not work (issue 16).

    The requesters' and workers' owners' rows are locked here, in id order, for the rest of the transaction."""
    people = [f.req.user_id for f in finished if f.req.user_id != ANONYMOUS_USER_ID]
    rows = await user_store.lock_all(conn, people + [f.worker.owner_id for f in finished])
    spare = {
        uid: max(0, kudos_rules.spare_milli(row.kudos_milli, AccountKind(row.kind), 0)) for uid, row in rows.items()
    }
    covered = []
    for f in finished:
        if _too_fast(f, now) and not roles_mod.is_trusted(roles_mod.from_flags(rows.get(f.worker.owner_id))):
            f = dataclasses.replace(f, reward_milli=0, charge_milli=min(f.charge_milli, TAX_MILLI))
        paid = min(f.charge_milli, spare.get(f.req.user_id, 0))
        spare[f.req.user_id] = spare.get(f.req.user_id, 0) - paid
        reward = kudos_rules.covered_reward(f.reward_milli, f.charge_milli, paid)
        covered.append(dataclasses.replace(f, reward_milli=reward))
    return covered


async def _count_drop(conn: Connection, worker: Holder | WorkerRow, now: dt.datetime) -> None:
    """A dropped job counts against its worker: throttled after a few within an hour, paused after more."""
    count, since = drops.after_drop(worker.drops_recent, worker.drops_since, now)
    values: dict[str, Any] = {"jobs_aborted": worker.jobs_aborted + 1, "drops_recent": count, "drops_since": since}
    await worker_store.update(conn, worker.id, **values)
    if drops.must_pause(count) and not worker.paused:  # once: a paused worker's later drops add nothing
        detail = f"{count} jobs dropped within an hour"  # for the moderators, never the worker: it gets decoys
        await suspicion.pause(conn, worker.id, reason=detail, now=now)
        reason = suspicion.Reason.JOBS_DROPPED  # counted against an untrusted owner too
        await suspicion.add(conn, worker_id=worker.id, owner_id=worker.owner_id, reason=reason, detail=detail, now=now)
        logger.warning("worker_paused_for_drops", extra={"action": "worker_paused", "worker_id": worker.id})


class SubmitService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.retry = RetryPolicy(ctx.settings.max_attempts)
        self._submits: Coalescer[_Submit, dto.SubmitResult] = Coalescer(self._submit_all, in_flight=in_flight(ctx))

    @staticmethod
    def result_key(job_id: str) -> str:
        return f"{job_id}.webp"

    async def upload_result(self, job_id: str, data: bytes, *, handout: int) -> None:
        """Store an image a worker PUT to its signed upload URL (the signature, over the job and the hand-out, was
        checked by the adapter). Only the worker holding the job now may upload: a worker the job was taken from
        (it timed out and went to another) is refused, so it cannot replace the new worker's result."""
        async with self.ctx.db.read() as conn:
            job = await job_store.by_id(conn, job_id)
        if job is None:
            if await decoys.take_upload(self.ctx, job_id, data, handout=handout):  # a paused worker's decoy
                return
            raise errors.InvalidJobIdError
        if JobState(job.state) in FINAL_STATES:
            raise errors.DuplicateGenError("This job is finished; the upload is not needed.")
        if job.state != JobState.PROCESSING.value or job.attempts != handout:
            raise errors.AbortedGenError("This job was handed to another worker; this upload is not taken.")
        if len(data) > 50 * 1024 * 1024:
            raise errors.ValidationError("The upload is larger than 50 MB.")
        await self.ctx.results.save(self.result_key(job_id), data)

    async def submit(self, actor: dto.Actor, ask: SubmitAsk) -> dto.SubmitResult:
        """Finish a job: store the result, pay the worker's owner, charge the requester, all in one transaction.

        Idempotent: submitting a finished job again answers the first reward and pays nothing more. Submits that
        arrive together are carried out together (``_submit_all``).
        """
        params_mod.reject_nul_bytes([ask.text or "", *[str(m) for m in ask.gen_metadata]], "submit")
        try:
            uuid.UUID(ask.job_id)
        except ValueError as exc:
            raise errors.InvalidJobIdError from exc
        if ask.state is not ResultState.FAULTED and any(_is_csam(m) for m in ask.gen_metadata):
            ask = dataclasses.replace(ask, state=ResultState.CSAM)  # however the worker named the state
        result = await self._submits(ask.job_id, _Submit(actor, ask))
        if not result.duplicate and ask.state is not ResultState.FAULTED:
            logger.info("job_finished", extra={"action": "job_finished", "job_id": ask.job_id})
        return result

    async def _submit_all(self, submits: list[_Submit]) -> list[dto.SubmitResult | BaseException]:
        """A batch of submits in one write transaction: the jobs, their workers and requests are read in one
        statement, and each write after that is one statement for the whole batch (``_finish_all``)."""
        now = self.ctx.clock()
        results: list[dto.SubmitResult | BaseException] = []
        async with self.ctx.db.write() as conn:
            found = await job_store.with_worker_and_request_all(conn, [s.ask.job_id for s in submits])
            finished: list[_Finished] = []
            for s in submits:
                try:
                    results.append(await self._settle(conn, s, found.get(s.ask.job_id), finished, now))
                except errors.HordeError as exc:
                    results.append(exc)
            if finished:
                await request_store.lock_all(conn, [f.req.id for f in finished])  # requests, then people
                finished = await _covered(conn, finished, now)
                paid = {f.ask.job_id: f.reward_milli for f in finished}
                results = [
                    dto.SubmitResult(reward=kudos_rules.from_milli(paid[s.ask.job_id]))
                    if isinstance(r, dto.SubmitResult) and not r.duplicate and s.ask.job_id in paid
                    else r
                    for s, r in zip(submits, results, strict=True)
                ]
                await self._finish_all(conn, finished, now)
        return results

    async def _settle(
        self, conn: Connection, s: _Submit, found: Held | None, finished: list[_Finished], now: dt.datetime
    ) -> dto.SubmitResult:
        """One submit of a batch: its checks and its price; a job it finishes joins ``finished``."""
        if found is None:  # a paused worker's decoy, or no job at all
            return await decoys.settle(self.ctx, conn, s.actor, s.ask.job_id, s.ask.state, s.ask.image, now)
        job, worker, req = found
        ask = s.ask
        if worker is not None and worker.owner_id != s.actor.user_id:
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
        censored = ask.state in (ResultState.CENSORED, ResultState.CSAM)
        if req.kind == GenerationKind.IMAGE.value:
            await self._check_image(conn, s.ask, (job, worker, req), censored=censored, now=now)
            reward = kudos_rules.from_milli(req.base_cost_milli)  # priced when the request was made
            charge = kudos_rules.image_charge(
                reward,
                req.params.get("post_processing") or (),  # stored as checked when the request was made
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
        finished.append(_Finished(ask, job, req, worker, reward_milli, charge_milli, things))
        return dto.SubmitResult(reward=kudos_rules.from_milli(reward_milli))

    async def _check_image(
        self, conn: Connection, ask: SubmitAsk, held: Held, *, censored: bool, now: dt.datetime
    ) -> None:
        """An image result must be there and (unless censored) be an image of the asked size; one that is not is
        a fault of its worker, and the job goes back to the queue."""
        job, worker, req = held
        data = ask.image if ask.image is not None else await self.ctx.results.load(self.result_key(job.id))
        if data is None:
            raise errors.ValidationError("No image was uploaded for this job.", {"generation": "missing"})
        if not censored and not result_checks.is_image_of(data, req.params):
            await self._fault(conn, job, req, worker, now)
            raise errors.ValidationError(
                f"The result is not a {req.params.get('width')}×{req.params.get('height')} image; "
                "nothing was paid and the job went back to the queue.",
                {"generation": "not an image of the asked size"},
            )

    async def _finish_all(self, conn: Connection, finished: list[_Finished], now: dt.datetime) -> None:
        """The writes of the finished jobs of a batch, each one statement for all of them: the results (in the
        database), the jobs, the workers' counters, the requests' charges, then the balances."""
        # only the results of submits that passed their checks, before the jobs are marked done: in the database
        # with the jobs, atomically; files (written on a thread) before the COMMIT
        await self.ctx.results.save_all_in(
            conn, [(self.result_key(f.job.id), f.ask.image) for f in finished if f.ask.image is not None]
        )
        await job_store.finish_all(conn, [self._finish(f) for f in finished], now)
        await worker_store.count_done_all(conn, [_done(f, now) for f in finished])
        await suspicion.note_timings(conn, [suspicion.Timing(f.worker.id, f.worker.owner_id, f.req.kind, f.things, f.job.popped_at) for f in finished], now)  # fmt: skip
        await request_store.charge_and_settle_all(
            conn,
            [(f.req.id, f.charge_milli) for f in finished],
            now,
            now + dt.timedelta(seconds=self.ctx.settings.request_expiry_seconds),
        )
        for f in finished:
            await sharedkeys.spend(conn, f.req.shared_key_id, f.charge_milli)
            if f.ask.state is ResultState.CSAM:
                await csam_results.record(
                    conn, self.ctx.settings, user_id=f.req.user_id, request_id=f.req.id, job_id=f.job.id,
                    worker_id=f.worker.id, now=now,
                )  # fmt: skip
        # the balances last: the users' rows are the hottest (one requester, many jobs), so their locks are held
        # for as short a time as possible before the COMMIT
        entries = [entry for f in finished for entry in _payments(f)]
        await ledger.append_all(conn, await escrow.hold(conn, entries, self.ctx.settings, now), now=now)

    def _finish(self, f: _Finished) -> job_store.Finish:
        """How a finished job's row records its result."""
        is_image = f.req.kind == GenerationKind.IMAGE.value
        return job_store.Finish(
            job_id=f.job.id,
            worker_id=f.worker.id,
            result_state=f.ask.state.value,
            result_key=self.result_key(f.job.id) if is_image else None,
            result_text=f.ask.text if f.req.kind == GenerationKind.TEXT.value else None,
            gen_metadata=list(f.ask.gen_metadata)[:50],
            seed=f.ask.seed if f.ask.seed is not None and 0 <= f.ask.seed < 2**63 else f.job.seed,
            reward_milli=f.reward_milli,
            charge_milli=f.charge_milli,
        )

    async def _fault(
        self, conn: Connection, job: JobRow, req: RequestWork | RequestRow, worker: Holder | WorkerRow | None,
        now: dt.datetime,
    ) -> None:  # fmt: skip
        """A job failed or timed out: back to the queue, or, out of attempts, fault the whole request."""
        decision = self.retry.decide(job.attempts)
        target = JobState.QUEUED if decision.requeue and req.state == RequestState.WAITING.value else JobState.FAULTED
        if not await job_store.release(conn, job_id=job.id, worker_id=job.worker_id, target=target):
            return
        if worker is not None:
            await _count_drop(conn, worker, now)
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
                if full is None or req is None:  # pragma: no cover - read in this transaction just above
                    continue
                worker = await worker_store.by_id(conn, job.worker_id) if job.worker_id else None
                await self._fault(conn, full, req, worker, now)
                after = await job_store.by_id(conn, job.id)
                if after is not None and after.state == JobState.QUEUED.value:
                    requeued += 1
                else:
                    faulted += 1
        return requeued, faulted
