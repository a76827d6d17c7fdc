"""Automatic suspicion of workers (upstream's countermeasures): results that come back faster than any real worker
makes them, and dropped jobs, count against the worker and its owner; at the threshold an untrusted worker is
paused. Trusted owners' workers are exempt. Moderators see the reasons and reset them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from horde.queue.domain import roles as roles_mod, suspicion as rules
from horde.queue.store import admin as admin_store, audit, users as user_store, workers as worker_store
from horde.queue.store.connection import Connection

logger = logging.getLogger(__name__)
Reason = rules.Reason


@dataclasses.dataclass(frozen=True)
class Timing:
    """One finished job, as the speed check sees it."""

    worker_id: str
    owner_id: int
    kind: str
    things: float
    popped_at: dt.datetime | None


async def note_timings(conn: Connection, timings: list[Timing], now: dt.datetime) -> None:
    """Raise suspicion on each worker whose job came back too fast (cheap: only a fast one reads anything)."""
    for t in timings:
        if t.popped_at is None:
            continue
        seconds = (now - t.popped_at).total_seconds()
        if not rules.too_fast(t.kind, t.things, seconds):
            continue
        detail = f"{t.things:g} {'MPS' if t.kind == 'image' else 'tokens'} in {seconds:.2f} s"
        await add(
            conn,
            worker_id=t.worker_id,
            owner_id=t.owner_id,
            reason=rules.Reason.UNREASONABLY_FAST,
            detail=detail,
            now=now,
        )


async def add(
    conn: Connection, *, worker_id: str | None, owner_id: int, reason: rules.Reason, detail: str, now: dt.datetime
) -> bool:
    """Count one reason against a worker (and its owner), unless the owner is trusted; pause the worker at the
    threshold. Returns whether it counted."""
    owner = await user_store.by_id(conn, owner_id)
    if owner is None or roles_mod.is_trusted(roles_mod.from_flags(owner)):
        return False
    await admin_store.add_suspicion(
        conn, user_id=owner_id, worker_id=worker_id, reason=reason.value, detail=detail, now=now
    )
    logger.warning(
        "suspicion_raised", extra={"action": "suspicion_raised", "worker_id": worker_id, "reason": reason.value}
    )
    if worker_id is None:
        return True
    count = len(await admin_store.suspicions(conn, worker_id=worker_id))
    worker = await worker_store.by_id(conn, worker_id)
    if worker is not None and rules.must_pause(count) and not worker.paused:
        await pause(conn, worker_id, reason=f"suspicion {count}", now=now)
    return True


async def pause(conn: Connection, worker_id: str, *, reason: str, now: dt.datetime) -> None:
    """Pause a worker automatically. The reason goes to the audit log, for moderators; the worker gets no message
    (it must not learn it was paused: it gets decoys)."""
    await worker_store.update(conn, worker_id, paused=True)
    await audit.record(
        conn,
        actor_id=None,
        action="worker_paused",
        target_type="worker",
        target_id=worker_id,
        details={"before": {"paused": False}, "after": {"paused": True}, "reason": reason},
        now=now,
    )
