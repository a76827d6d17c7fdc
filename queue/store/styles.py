"""Styles: named prompt templates with fixed parameters and models."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

import sqlalchemy as sa

from horde.queue.store import tables
from horde.queue.store.connection import Connection


class StyleRow(NamedTuple):
    """A whole ``styles`` row, and its owner's name."""

    id: str
    owner_id: int
    kind: str
    name: str
    info: str | None
    prompt: str
    params: dict[str, Any]
    models: list[str]
    public: bool
    uses: int
    created_at: dt.datetime
    owner_name: str


def _one(row: tables.AnyRow | None) -> StyleRow | None:
    return None if row is None else StyleRow._make(row)


def _select() -> sa.Select[*tuple[Any, ...]]:
    return sa.select(tables.styles, tables.users.c.username.label("owner_name")).join(
        tables.users, tables.users.c.id == tables.styles.c.owner_id
    )


async def by_id(conn: Connection, style_id: str) -> StyleRow | None:
    return _one((await conn.execute(_select().where(tables.styles.c.id == style_id))).one_or_none())


async def by_name(conn: Connection, name: str) -> StyleRow | None:
    return _one((await conn.execute(_select().where(tables.styles.c.name == name))).one_or_none())


async def owner_of(conn: Connection, style_id: str) -> int | None:
    owner = await conn.scalar(sa.select(tables.styles.c.owner_id).where(tables.styles.c.id == style_id))
    return None if owner is None else int(owner)


async def listing(
    conn: Connection, kind: str, *, viewer_id: int | None, popular: bool, limit: int, offset: int
) -> list[StyleRow]:
    """Public styles of a kind, and the viewer's own private ones; most used or newest first."""
    visible = (
        tables.styles.c.public.is_(True)
        if viewer_id is None
        else sa.or_(tables.styles.c.public.is_(True), tables.styles.c.owner_id == viewer_id)
    )
    order = (
        (tables.styles.c.uses.desc(), tables.styles.c.name)
        if popular
        else (tables.styles.c.created_at.desc(), tables.styles.c.name)
    )
    query = _select().where(tables.styles.c.kind == kind, visible).order_by(*order).limit(limit).offset(offset)
    return [StyleRow._make(row) for row in await conn.execute(query)]


async def insert(conn: Connection, values: dict[str, Any]) -> None:
    await conn.execute(tables.styles.insert().values(**values))


async def update(conn: Connection, style_id: str, **values: Any) -> None:
    await conn.execute(tables.styles.update().where(tables.styles.c.id == style_id).values(**values))


async def delete(conn: Connection, style_id: str) -> None:
    await conn.execute(tables.styles.delete().where(tables.styles.c.id == style_id))


async def count_use(conn: Connection, style_id: str) -> None:
    await conn.execute(
        tables.styles.update().where(tables.styles.c.id == style_id).values(uses=tables.styles.c.uses + 1)
    )
