"""A paused worker's jobs go back to the queue."""

from __future__ import annotations

import logging

from horde.queue.domain.jobs import JobState, RequestState
from horde.queue.store import (
    admin as admin_store,
    jobs as job_store,
    queue as queue_store,
    requests as request_store,
)
from horde.queue.store.connection import Connection

logger = logging.getLogger(__name__)


async def requeue_held(conn: Connection, worker_id: str) -> int:
    """The jobs a worker holds go back to the queue (its requests are not faulted, nor is the worker charged a
    drop: this is a moderator's doing). Returns how many."""
    count = 0
    for job in await admin_store.held_jobs(conn, worker_id):
        req = await request_store.by_id(conn, job.request_id)
        if req is None or req.state != RequestState.WAITING.value:
            continue
        if await job_store.release(conn, job_id=job.id, worker_id=worker_id, target=JobState.QUEUED):
            await queue_store.add(conn, queue_store.entry_for(req._asdict()), 1)
            count += 1
    if count:
        logger.info("jobs_requeued", extra={"action": "jobs_requeued", "worker_id": worker_id, "count": count})
    return count
