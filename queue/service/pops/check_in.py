"""A popping worker's check-in: its first pop registers it; later pops record what changed and pay uptime."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from horde.queue import errors
from horde.queue.domain import kudos as kudos_rules
from horde.queue.domain.jobs import GenerationKind
from horde.queue.service import modes
from horde.queue.service.capacity import Capacity
from horde.queue.service.context import Context
from horde.queue.service.pops.asks import Pop, Worker, capabilities
from horde.queue.store import ledger, workers as worker_store
from horde.queue.store.connection import Connection

WORKERS_UNTRUSTED = 4  #: workers an untrusted owner may register
WORKERS_TRUSTED = 20  #: workers a trusted owner may register
#: seconds between recorded check-ins of a worker that says nothing new (a busy worker pops many times a second;
#: "online" means a check-in in the last ``stale_worker_seconds``)
CHECK_IN_EVERY = 5.0


def _new_worker(pop: Pop, worker_id: str, now: dt.datetime) -> dict[str, Any]:
    ask, actor = pop.ask, pop.actor
    return {
        "id": worker_id,
        "name": pop.name,
        "owner_id": actor.user_id,
        "kind": ask.kind.value,
        "models": pop.models,
        "max_pixels": ask.max_pixels,
        "capabilities": capabilities(ask),
        "nsfw": ask.nsfw,
        "threads": ask.threads,
        "bridge_agent": ask.bridge_agent[:1000] or None,
        "ip": actor.ip,
        "last_check_in": now,
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
        "drops_recent": 0,
        "drops_since": None,
    }


def _said(pop: Pop) -> tuple[list[str], int, dict[str, Any], bool, int, str | None, str | None]:
    """What a pop says of its worker, in the order a ``CheckIn`` records it."""
    ask = pop.ask
    bridge = ask.bridge_agent[:1000] or None
    return pop.models, ask.max_pixels, capabilities(ask), ask.nsfw, ask.threads, bridge, pop.actor.ip


def _recorded(worker: Worker) -> tuple[list[str], int, dict[str, Any], bool, int, str | None, str | None]:
    return (
        worker.models,
        worker.max_pixels,
        worker.capabilities,
        worker.nsfw,
        worker.threads,
        worker.bridge_agent,
        worker.ip,
    )


class CheckIns:
    """Registers new workers and records the check-ins of known ones."""

    def __init__(self, ctx: Context, capacity: Capacity) -> None:
        self.ctx = ctx
        self.capacity = capacity

    async def register(self, conn: Connection, pop: Pop, now: dt.datetime) -> tuple[Worker | None, Worker | None]:
        """A worker's first pop: (None, its new row, checked in at ``now``), or (the row a concurrent first pop
        made, None), to be checked in."""
        actor = pop.actor
        allowed = WORKERS_TRUSTED if actor.is_trusted else WORKERS_UNTRUSTED
        if await worker_store.count_for_owner(conn, actor.user_id) >= allowed:
            raise errors.TooManyWorkersError
        await modes.admit_new_worker(conn, actor, now)  # blocked addresses; invite-only mode
        worker_id = str(uuid.uuid4())
        inserted = await worker_store.insert(conn, _new_worker(pop, worker_id, now))
        self.capacity.invalidate()
        if inserted:
            return None, await worker_store.by_id(conn, worker_id)
        worker = await worker_store.by_name(conn, pop.name)
        if worker is None:  # pragma: no cover - the conflicting row exists
            raise errors.WorkerNotFoundError
        return worker, None

    def check_in(
        self, pop: Pop, worker: Worker, now: dt.datetime, uptime: list[ledger.Entry]
    ) -> worker_store.CheckIn | None:
        """What a pop records of its worker (an uptime reward that fell due goes into ``uptime``), or None when
        there is nothing worth a write: the worker said the same as at its last recorded check-in, less than
        ``CHECK_IN_EVERY`` seconds ago. Uptime is counted from the last recorded check-in, so nothing is lost."""
        if worker.owner_id != pop.actor.user_id:
            raise errors.WrongCredentialsError("This worker name belongs to another user.")
        if worker.kind != pop.ask.kind.value:
            raise errors.ValidationError("This worker name is taken by a worker of another kind.")
        elapsed = (now - worker.last_check_in).total_seconds()
        uptime_seconds, unpaid = worker.uptime_seconds, worker.uptime_unpaid_seconds
        stale = self.ctx.settings.stale_worker_seconds
        if 0 < elapsed <= stale and not (worker.maintenance or worker.paused):
            uptime_seconds += elapsed
            unpaid += elapsed
        elif elapsed > stale:
            unpaid = 0.0  # back from being offline: the ten minutes start again
        periods = int(unpaid // kudos_rules.UPTIME_PERIOD_SECONDS)
        earned = self._uptime_reward(pop, worker, periods, uptime)
        said = _said(pop)
        if 0 <= elapsed < CHECK_IN_EVERY and not periods and said == _recorded(worker):
            return None
        return worker_store.CheckIn(
            worker.id,
            *said,
            now=now,
            uptime_seconds=uptime_seconds,
            uptime_unpaid_seconds=unpaid - periods * kudos_rules.UPTIME_PERIOD_SECONDS,
            earned_milli=earned,
        )

    def _uptime_reward(self, pop: Pop, worker: Worker, periods: int, uptime: list[ledger.Entry]) -> int:
        """The uptime kudos (thousandths) of ``periods`` full periods online, appended to ``uptime``. Only models
        of the horde's model reference count: a worker serving none of them, or advertising made-up ones, earns
        nothing for them."""
        if not periods or pop.ask.kind is not GenerationKind.IMAGE:
            return 0
        known = sum(1 for m in pop.models if self.ctx.models.knows(m))
        if not known:
            return 0
        reward = kudos_rules.uptime_reward(known, pop.ask.allow_lora) * periods
        earned = kudos_rules.to_milli(reward)
        memo = f"worker {worker.name}"
        uptime.append(ledger.Entry(pop.actor.user_id, earned, kudos_rules.EntryKind.UPTIME, memo=memo))
        return earned
