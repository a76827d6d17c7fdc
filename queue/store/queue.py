"""The queue index: one row per (waiting request, model), ordered by rank. Pop reads a bounded prefix of it."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from horde.queue.store import tables

NEEDS_IMG2IMG = 1
NEEDS_PAINTING = 2
NEEDS_LORA = 4
NEEDS_POST_PROCESSING = 8

Q = tables.queue_entries


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
    needs: int
    targeted: bool


def entry_for(req: Mapping[str, Any]) -> EntryValues:
    """The index row of a request (a ``generation_requests`` row, or the values about to be inserted)."""
    params = req["params"]
    needs = 0
    if req["source_image_key"]:
        needs |= NEEDS_IMG2IMG if req["source_processing"] == "img2img" else NEEDS_PAINTING
    if params.get("loras"):
        needs |= NEEDS_LORA
    if params.get("post_processing"):
        needs |= NEEDS_POST_PROCESSING
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


async def add(conn: AsyncConnection, entry: EntryValues, queued: int) -> None:
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
            "needs": entry.needs,
            "targeted": entry.targeted,
        }
        for model in (entry.models or [""])
    ]
    insert: Any = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(Q)
    statement = insert.on_conflict_do_update(
        index_elements=[Q.c.request_id, Q.c.model], set_={"queued": Q.c.queued + insert.excluded.queued}
    )
    await conn.execute(statement, rows)


_TAKE = Q.update().where(Q.c.request_id == sa.bindparam("id")).values(queued=Q.c.queued - sa.bindparam("count"))
_DROP_EMPTY = Q.delete().where(Q.c.request_id == sa.bindparam("id"), Q.c.queued <= 0)


async def take(conn: AsyncConnection, request_id: str, count: int) -> None:
    """``count`` jobs of a request left the queue; drop its rows when none is left."""
    await conn.execute(_TAKE, {"id": request_id, "count": count})
    await conn.execute(_DROP_EMPTY, {"id": request_id})


async def remove(conn: AsyncConnection, request_ids: Iterable[str]) -> None:
    ids = list(request_ids)
    if ids:
        await conn.execute(Q.delete().where(Q.c.request_id.in_(ids)))


_COLUMNS = (
    Q.c.request_id,
    Q.c.model,
    Q.c.rank,
    Q.c.user_id,
    Q.c.pixels,
    Q.c.nsfw,
    Q.c.trusted_only,
    Q.c.needs,
    Q.c.targeted,
    Q.c.queued,
)


@functools.lru_cache(maxsize=256)
def _candidates_statement(models: int, owners: int) -> sa.CompoundSelect[Any]:
    """Built once per shape (number of models and owners) with bound parameters, then reused: constructing a
    dozen-part UNION on every pop cost more than running it."""
    limit: sa.BindParameter[int] = sa.bindparam("per_model", type_=sa.Integer)
    parts = [
        sa.select(*_COLUMNS)
        .where(Q.c.kind == sa.bindparam("kind"), Q.c.model == sa.bindparam(f"m{i}"))
        .order_by(Q.c.rank.desc())
        .limit(limit)
        for i in range(models)
    ]
    parts += [
        sa.select(*_COLUMNS)
        .where(Q.c.user_id == sa.bindparam(f"u{i}"), Q.c.kind == sa.bindparam("kind"))
        .order_by(Q.c.rank.desc())
        .limit(limit)
        for i in range(owners)
    ]
    return sa.union_all(*(part.subquery().select() for part in parts))


async def candidates(
    conn: AsyncConnection, *, kind: str, models: Sequence[str], owner_ids: Sequence[int], per_model: int
) -> list[tables.AnyRow]:
    """The best ``per_model`` entries of each model the worker serves (and of requests for any model), plus the
    best entries of the worker's owner and priority users. Each part is an index range scan with a LIMIT, so the
    cost does not grow with the queue's length."""
    all_models = [*models, ""]
    params: dict[str, Any] = {"kind": kind, "per_model": per_model}
    params.update({f"m{i}": model for i, model in enumerate(all_models)})
    params.update({f"u{i}": owner for i, owner in enumerate(owner_ids)})
    statement = _candidates_statement(len(all_models), len(owner_ids))
    return list((await conn.execute(statement, params)).all())


_MINE = sa.select(Q.c.model, Q.c.rank, Q.c.kind).where(Q.c.request_id == sa.bindparam("request_id"))
_AHEAD = sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Q.c.things * Q.c.queued), 0.0)).where(
    Q.c.kind == sa.bindparam("kind"), Q.c.model == sa.bindparam("model"), Q.c.rank > sa.bindparam("rank")
)


async def position(conn: AsyncConnection, request_id: str) -> tuple[int, float]:
    """(requests ahead, work ahead in things) in the shortest queue among the request's models; (0, 0) if gone.

    Counting runs over the index range ahead of the request in its own model's queue: honest (it counts only
    requests a worker of that model could take, unlike upstream's global position) and cheap.
    """
    best: tuple[int, float] | None = None
    for row in (await conn.execute(_MINE, {"request_id": request_id})).all():
        ahead = (await conn.execute(_AHEAD, {"kind": row.kind, "model": row.model, "rank": row.rank})).one()
        if best is None or ahead[0] < best[0]:
            best = (int(ahead[0]), float(ahead[1]))
    return best or (0, 0.0)


async def waiting_by_model(conn: AsyncConnection, kind: str) -> dict[str, tuple[int, float]]:
    """model → (queued jobs, queued things), for the status pages."""
    rows = await conn.execute(
        sa.select(Q.c.model, sa.func.sum(Q.c.queued), sa.func.sum(Q.c.things * Q.c.queued))
        .where(Q.c.kind == kind)
        .group_by(Q.c.model)
    )
    return {row[0]: (int(row[1]), float(row[2])) for row in rows}


async def queued_jobs(conn: AsyncConnection, kind: str) -> int:
    """Jobs waiting of one kind. A scan: callers cache it (``service.capacity``)."""
    first_model = (
        sa.select(Q.c.request_id, sa.func.max(Q.c.queued).label("queued"))
        .where(Q.c.kind == kind)
        .group_by(Q.c.request_id)
    )
    total = await conn.scalar(sa.select(sa.func.coalesce(sa.func.sum(first_model.subquery().c.queued), 0)))
    return int(total or 0)
