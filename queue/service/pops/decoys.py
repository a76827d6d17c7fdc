"""Decoy jobs for paused workers (issue 16; upstream's "fake" generations, reference §3.2 step 6).

A paused worker is one the horde stopped trusting (too many dropped jobs, results faster than possible, or a
moderator's decision). It is never handed a real job; so that it cannot tell it was paused, and does not come back
under a new name, it is handed decoys instead:

- **work-shaped**: when a pop finds a request the worker may take, a decoy copies that request's prompt,
  parameters, model, batch size and time to live; when it finds none, the worker gets nothing, with the same
  skip counts as anyone. So decoys come exactly when real work would. Requests with a source image are never
  copied (the worker would be sent someone's picture);
- **inert**: the request copied is only read; no job is claimed, nothing is queued, charged or paid;
- **answered like real jobs**: an upload to its URL is taken; a submit is checked as a real one (an image of the
  asked size, in time, by the worker's owner) and answered with a reward of 0, as a job for a requester on their
  floor is; a second submit answers the first again; a failed or late one is refused as a real one would be.

A decoy is one ``decoy_jobs`` row; the sweep forgets it, and any upload, a while after its deadline.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import uuid

from horde.queue import dto, errors
from horde.queue.domain import matching
from horde.queue.domain.jobs import GenerationKind, ResultState
from horde.queue.service import result_checks
from horde.queue.service.context import Context
from horde.queue.service.pops.matcher import FIRST_LOOK, Choice, Matcher, Ready, Request, nothing, owners_of
from horde.queue.store import decoys as decoy_store, queue as queue_store
from horde.queue.store.connection import Connection

logger = logging.getLogger(__name__)

WITH_SOURCE = matching.Needs.IMG2IMG | matching.Needs.PAINTING  #: requests never copied into a decoy


def result_key(decoy_id: str) -> str:
    return f"decoy-{decoy_id}.webp"


async def hand_out(conn: Connection, matcher: Matcher, ready: Ready, now: dt.datetime) -> dto.PoppedJob:
    """What a paused worker gets for a pop: a decoy of the request it would have taken, or nothing."""
    worker, profile, ask = ready.worker, ready.profile, ready.pop.ask
    owners = owners_of(ready)
    entries = await queue_store.candidates(
        conn, kind=ask.kind.value, models=sorted(profile.models), owner_ids=sorted(owners), per_model=FIRST_LOOK
    )
    entries = [entry for entry in entries if not entry.needs_flags & WITH_SOURCE]
    entries.sort(key=lambda entry: (entry.user_id not in owners, -entry.rank))
    reqs: dict[str, Request] = {}
    chosen = await matcher.choose(conn, profile, entries, reqs, {entry.request_id: entry.queued for entry in entries})
    if not isinstance(chosen, Choice):
        return nothing(ask.kind.value, chosen)
    claim, ttl = matcher.claim_for(worker, profile, ask, chosen, chosen.entry.queued, now)
    req = chosen.request
    decoys = [
        decoy_store.Decoy(
            str(uuid.uuid4()), worker.id, profile.owner_id, req.kind, dict(req.params), claim.deadline, None
        )
        for _ in range(claim.count)
    ]
    await decoy_store.add_all(conn, decoys)
    logger.info("decoy_handed_out", extra={"action": "decoy_handed_out", "worker_id": worker.id, "count": len(decoys)})
    return dto.PoppedJob(
        ids=tuple(d.id for d in decoys),
        request_id=None,
        kind=req.kind,
        model=claim.model,
        prompt=req.prompt,
        params=dict(req.params),
        seeds=tuple(secrets.randbelow(2**32) for _ in decoys),
        handouts=tuple(1 for _ in decoys),
        ttl=ttl,
        nsfw_censor=not req.nsfw and req.censor_nsfw,
        source_image_key=None,
        source_mask_key=None,
        source_processing=None,
        skipped={},
    )


async def take_upload(ctx: Context, decoy_id: str, data: bytes, *, handout: int) -> bool:
    """Store an upload to a decoy's URL as a real job's would be; False when ``decoy_id`` is no decoy."""
    async with ctx.db.read() as conn:
        decoy = await decoy_store.by_id(conn, decoy_id)
    if decoy is None:
        return False
    if decoy.finished_at is not None:
        raise errors.DuplicateGenError("This job is finished; the upload is not needed.")
    if handout != 1 or ctx.clock() >= decoy.deadline:
        raise errors.AbortedGenError("This job was handed to another worker; this upload is not taken.")
    if len(data) > 50 * 1024 * 1024:
        raise errors.ValidationError("The upload is larger than 50 MB.")
    await ctx.results.save(result_key(decoy_id), data)
    return True


async def settle(
    ctx: Context, conn: Connection, actor: dto.Actor, decoy_id: str, state: ResultState, image: bytes | None,
    now: dt.datetime,
) -> dto.SubmitResult:  # fmt: skip
    """A submit of a decoy, checked and answered as a real job's, paying nothing; ``InvalidJobIdError`` when
    ``decoy_id`` is no decoy either."""
    decoy = await decoy_store.by_id(conn, decoy_id)
    if decoy is None:
        raise errors.InvalidJobIdError
    if decoy.owner_id != actor.user_id:
        raise errors.WrongCredentialsError("This job belongs to another user's worker.")
    if decoy.finished_at is not None:
        return dto.SubmitResult(reward=0.0, duplicate=True)
    if now >= decoy.deadline:
        raise errors.AbortedGenError
    if state is ResultState.FAULTED:
        await decoy_store.end(conn, decoy.id, now)
        return dto.SubmitResult(reward=0.0)
    if decoy.kind == GenerationKind.IMAGE.value and state not in (ResultState.CENSORED, ResultState.CSAM):
        data = image if image is not None else await ctx.results.load(result_key(decoy.id))
        if data is None:
            raise errors.ValidationError("No image was uploaded for this job.", {"generation": "missing"})
        if not result_checks.is_image_of(data, decoy.params):
            await decoy_store.end(conn, decoy.id, now)
            raise errors.ValidationError(
                f"The result is not a {decoy.params.get('width')}×{decoy.params.get('height')} image; "
                "nothing was paid and the job went back to the queue.",
                {"generation": "not an image of the asked size"},
            )
    await decoy_store.finish(conn, decoy.id, now)  # its upload is deleted when it expires (not in this transaction)
    logger.info(
        "decoy_submitted", extra={"action": "decoy_submitted", "job_id": decoy.id, "worker_id": decoy.worker_id}
    )
    return dto.SubmitResult(reward=0.0)


async def expire(ctx: Context, now: dt.datetime) -> int:
    """Forget decoys whose deadline passed more than ``request_expiry_seconds`` ago, with any upload left."""
    before = now - dt.timedelta(seconds=ctx.settings.request_expiry_seconds)
    async with ctx.db.read() as conn:  # nearly always none: no write transaction then
        ids = await decoy_store.expired(conn, before)
    if not ids:
        return 0
    async with ctx.db.write() as conn:
        await decoy_store.delete(conn, ids)
    for decoy_id in ids:
        await ctx.results.delete(result_key(decoy_id))
    return len(ids)
