"""Where a request stands, as the requester sees it: counts, queue position, wait, results, and why it waits."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

from horde.queue import dto
from horde.queue.domain import kudos as kudos_rules
from horde.queue.domain.jobs import JobState, RequestState
from horde.queue.service.capacity import Snapshot
from horde.queue.store.rows import JobRow, RequestRow

NO_SERVER = "No online worker serves these models at this size with these settings."


@dataclasses.dataclass(frozen=True)
class Progress:
    """A request's jobs counted by state, and how long the rest should take."""

    waiting: int
    processing: int
    finished: int
    restarted: int
    wait: int
    can_serve: bool


def generation(job: JobRow, names: dict[str, str]) -> dto.Generation:
    """A finished job as the requester sees it."""
    return dto.Generation(
        id=job.id,
        worker_id=job.worker_id or "",
        worker_name=names.get(job.worker_id or "", ""),
        model=job.model or "",
        seed=int(job.seed),
        state=job.result_state or "ok",
        censored=job.result_state in ("censored", "csam"),  # a CSAM result is a censored image too
        result_key=job.result_key,
        text=job.result_text,
        gen_metadata=tuple(job.gen_metadata or ()),
        favourite=job.favourite,
        public=job.public,
    )


def progress(req: RequestRow, jobs: list[JobRow], things_ahead: float, snap: Snapshot, now: dt.datetime) -> Progress:
    """Counts and the expected wait: the work ahead and the request's own over the serving workers' speed; for a
    request no online worker serves, until it expires (the honest answer: it waits until a worker comes)."""
    counts = dict.fromkeys(JobState, 0)
    for job in jobs:
        counts[JobState(job.state)] += 1
    waiting, processing = counts[JobState.QUEUED], counts[JobState.PROCESSING]
    pixels = req.params.get("width", 0) * req.params.get("height", 0) if req.kind == "image" else 0
    can_serve = bool(snap.serving(req.kind, req.models, pixels))
    throughput = snap.throughput(req.kind, req.models)
    wait = 0
    if waiting or processing:
        work = things_ahead + req.things * (waiting + processing)
        wait = math.ceil(work / throughput) if throughput > 0 else 0
    if waiting and not can_serve:
        wait = max(wait, math.ceil((req.expires_at - now).total_seconds()))
    restarted = sum(max(0, job.attempts - 1) for job in jobs)
    return Progress(waiting, processing, counts[JobState.DONE], restarted, wait, can_serve)


def status_of(
    req: RequestRow, ahead: int, seen: Progress, generations: tuple[dto.Generation, ...]
) -> dto.RequestStatus:
    """The requester's view of a request."""
    state = RequestState(req.state)
    waiting, processing = seen.waiting, seen.processing
    return dto.RequestStatus(
        id=req.id,
        kind=req.kind,
        state=state.value,
        prompt=req.prompt,
        params=req.params,
        models=tuple(req.models),
        n=req.n,
        finished=seen.finished,
        processing=processing,
        restarted=seen.restarted,
        waiting=waiting,
        done=not waiting and not processing,
        faulted=state is RequestState.FAULTED,
        cancelled=state is RequestState.CANCELLED,
        is_possible=seen.can_serve or processing > 0 or not waiting,
        wait_time=seen.wait,
        queue_position=ahead + 1 if waiting else 0,
        kudos=kudos_rules.from_milli(req.charged_milli),
        shared=req.shared,
        r2=req.r2,
        created_at=req.created_at,
        warnings=tuple(req.warnings or ()),
        generations=generations,
        blocked_reason=NO_SERVER if waiting and not seen.can_serve else None,
        user_id=req.user_id,
    )
