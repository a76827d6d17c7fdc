"""The queue index: one row per (waiting request, model), ordered by rank. Pop reads a bounded prefix of it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa

from horde.queue.domain.matching import Needs
from horde.queue.store import driver, tables
from horde.queue.store.connection import Connection


@dataclasses.dataclass(frozen=True)
class EntryValues:
    """What the queue index keeps of a request."""

    request_id: str
    kind: str
    models: Sequence[str]
    rank: float
    user_id: int
    pixels: int
    things: float
    nsfw: bool
    trusted_only: bool
    needs: Needs
    targeted: bool


def entry_for(req: Mapping[str, Any]) -> EntryValues:
    """The index row of a request (a ``generation_requests`` row, or the values about to be inserted)."""
    params = req["params"]
    needs = Needs.NONE
    if req["source_image_key"]:
        needs |= Needs.IMG2IMG if req["source_processing"] == "img2img" else Needs.PAINTING
    if params.get("loras"):
        needs |= Needs.LORA
    if params.get("post_processing"):
        needs |= Needs.POST_PROCESSING
    is_image = req["kind"] == "image"
    return EntryValues(
        request_id=req["id"],
        kind=req["kind"],
        models=req["models"],
        rank=req["rank"],
        user_id=req["user_id"],
        pixels=params.get("width", 0) * params.get("height", 0) if is_image else 0,
        things=req["things"],
        nsfw=req["nsfw"],
        trusted_only=req["trusted_workers"],
        needs=needs,
        targeted=bool(req["worker_ids"]),
    )


_ADD_SUFFIX = " ON CONFLICT (request_id, model) DO UPDATE SET queued = queue_entries.queued + excluded.queued"


async def add(conn: Connection, entry: EntryValues, queued: int) -> None:
    """Put ``queued`` more jobs of a request in the index (creating its rows, or adding to them)."""
    rows = [
        {
            "request_id": entry.request_id,
            "model": model,
            "kind": entry.kind,
            "rank": entry.rank,
            "user_id": entry.user_id,
            "pixels": entry.pixels,
            "things": entry.things,
            "queued": queued,
            "nsfw": entry.nsfw,
            "trusted_only": entry.trusted_only,
            "needs": int(entry.needs),
            "targeted": entry.targeted,
        }
        for model in (entry.models or [""])
    ]
    await driver.insert(await driver.raw(conn), tables.queue_entries, rows, suffix=_ADD_SUFFIX)


async def remove(conn: Connection, request_ids: Iterable[str]) -> None:
    ids = list(request_ids)
    if ids:
        await conn.execute(tables.queue_entries.delete().where(tables.queue_entries.c.request_id.in_(ids)))


_COLUMNS = (
    tables.queue_entries.c.request_id,
    tables.queue_entries.c.model,
    tables.queue_entries.c.rank,
    tables.queue_entries.c.user_id,
    tables.queue_entries.c.pixels,
    tables.queue_entries.c.nsfw,
    tables.queue_entries.c.trusted_only,
    tables.queue_entries.c.needs,
    tables.queue_entries.c.targeted,
    tables.queue_entries.c.queued,
)


class PopCandidate(NamedTuple):
    """A queue entry as a pop reads it (on SQLite its booleans stay 0/1: read by the dozen, tested for truth)."""

    request_id: str
    model: str
    rank: float
    user_id: int
    pixels: int
    nsfw: int  #: 0/1 on SQLite, a bool on PostgreSQL: tested for truth
    trusted_only: int
    needs: int
    targeted: int
    queued: int

    @property
    def needs_flags(self) -> Needs:
        """What the request needs of a worker beyond its model and size."""
        return Needs(self.needs)


ENTRY = driver.RowReader(
    PopCandidate, tables.queue_entries, booleans=False
)  # a pop reads dozens and tests a few for truth


_Q_COLUMNS = ", ".join(f"q.{name}" for name in ENTRY.names)
CANDIDATES = driver.Sql(
    # PostgreSQL: for each model and each owner, an index range scan with a LIMIT (LATERAL)
    f"SELECT q.* FROM unnest($3::text[]) AS m(model) CROSS JOIN LATERAL (SELECT {ENTRY.columns} FROM queue_entries"
    " WHERE kind = $1 AND model = m.model ORDER BY rank DESC LIMIT $2) AS q"
    f" UNION ALL SELECT q.* FROM unnest($4::int[]) AS o(user_id) CROSS JOIN LATERAL (SELECT {ENTRY.columns}"
    " FROM queue_entries WHERE user_id = o.user_id AND kind = $1 ORDER BY rank DESC LIMIT $2) AS q",
    # SQLite has no LATERAL: the rows whose rowid is among the first of each model's (each owner's) index range
    sqlite=f"SELECT {_Q_COLUMNS} FROM json_each($3) AS m JOIN queue_entries q ON q.rowid IN"
    " (SELECT rowid FROM queue_entries WHERE kind = $1 AND model = m.value ORDER BY rank DESC LIMIT $2)"
    f" UNION ALL SELECT {_Q_COLUMNS} FROM json_each($4) AS o JOIN queue_entries q ON q.rowid IN"
    " (SELECT rowid FROM queue_entries WHERE user_id = o.value AND kind = $1 ORDER BY rank DESC LIMIT $2)",
)


async def candidates(
    conn: Connection, *, kind: str, models: Sequence[str], owner_ids: Sequence[int], per_model: int
) -> list[PopCandidate]:
    """The best ``per_model`` entries of each model the worker serves (and of requests for any model), plus the
    best entries of the worker's owner and priority users. Each part is an index range scan with a LIMIT, so the
    cost does not grow with the queue's length; one statement whatever the number of models."""
    raw = await driver.raw(conn)
    all_models = [*models, ""]
    if raw.is_sqlite:
        rows = await raw.fetch(CANDIDATES, kind, per_model, driver.to_json(all_models), driver.to_json(owner_ids))
    else:
        rows = await raw.fetch(CANDIDATES, kind, per_model, all_models, list(owner_ids))
    return [ENTRY(row) for row in rows]


_POSITION = driver.Sql(
    "SELECT count(a.request_id), coalesce(sum(a.things * a.queued), 0.0) FROM queue_entries m"
    " LEFT JOIN queue_entries a ON a.kind = m.kind AND a.model = m.model AND a.rank > m.rank"
    " WHERE m.request_id = $1 GROUP BY m.model ORDER BY 1 LIMIT 1"
)


async def position(conn: Connection, request_id: str) -> tuple[int, float]:
    """(requests ahead, work ahead in things) in the shortest queue among the request's models; (0, 0) if gone.

    Counting runs over the index range ahead of the request in its own model's queue: honest (it counts only
    requests a worker of that model could take, unlike upstream's global position), one statement, and an
    index-only scan, but still one index entry per request ahead (``service.positions`` caches whole queues).
    """
    row = await (await driver.raw(conn)).fetchrow(_POSITION, request_id)
    return (int(row[0]), float(row[1])) if row is not None else (0, 0.0)


_MINE = driver.Sql("SELECT kind, model, rank FROM queue_entries WHERE request_id = $1")
_MODEL_QUEUE = driver.Sql(
    "SELECT rank, things * queued FROM queue_entries WHERE kind = $1 AND model = $2 ORDER BY rank DESC"
)


async def entries_of(conn: Connection, request_id: str) -> list[tuple[str, str, float]]:
    """(kind, model, rank) of each queue a waiting request is in; none once it left the queue."""
    return [(row[0], row[1], row[2]) for row in await (await driver.raw(conn)).fetch(_MINE, request_id)]


async def model_queue(conn: Connection, kind: str, model: str) -> list[tuple[float, float]]:
    """(rank, work in things) of every entry in one model's queue, best first (an index-only scan)."""
    return [(row[0], row[1]) for row in await (await driver.raw(conn)).fetch(_MODEL_QUEUE, kind, model)]


async def waiting_by_model(conn: Connection, kind: str) -> dict[str, tuple[int, float]]:
    """model → (queued jobs, queued things), for the status pages."""
    rows = await conn.execute(
        sa.select(
            tables.queue_entries.c.model,
            sa.func.sum(tables.queue_entries.c.queued),
            sa.func.sum(tables.queue_entries.c.things * tables.queue_entries.c.queued),
        )
        .where(tables.queue_entries.c.kind == kind)
        .group_by(tables.queue_entries.c.model)
    )
    return {row[0]: (int(row[1]), float(row[2])) for row in rows}


async def queued_jobs(conn: Connection, kind: str) -> int:
    """Jobs waiting of one kind. A scan: callers cache it (``service.capacity``)."""
    first_model = (
        sa.select(tables.queue_entries.c.request_id, sa.func.max(tables.queue_entries.c.queued).label("queued"))
        .where(tables.queue_entries.c.kind == kind)
        .group_by(tables.queue_entries.c.request_id)
    )
    total = await conn.scalar(sa.select(sa.func.coalesce(sa.func.sum(first_model.subquery().c.queued), 0)))
    return int(total or 0)
