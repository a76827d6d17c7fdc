"""Interrogations and their forms: insert, read, hand out (each form to exactly one worker), finish, re-queue,
cancel, expire. Alchemy traffic is small beside images': plain SQLAlchemy Core statements."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from horde.queue.domain.alchemy import FormState
from horde.queue.store import driver
from horde.queue.store.alchemy_tables import interrogation_forms as forms_t, interrogations as inter_t
from horde.queue.store.connection import Connection
from horde.queue.store.tables import AnyRow

ACTIVE = (FormState.WAITING.value, FormState.PROCESSING.value)


async def insert(conn: Connection, interrogation: dict[str, Any], forms: Sequence[dict[str, Any]]) -> None:
    raw = await driver.raw(conn)
    await driver.insert(raw, inter_t, [interrogation])
    await driver.insert(raw, forms_t, list(forms))


async def by_id(conn: Connection, interrogation_id: str) -> AnyRow | None:
    return (await conn.execute(sa.select(inter_t).where(inter_t.c.id == interrogation_id))).first()


async def forms_of(conn: Connection, interrogation_id: str) -> list[AnyRow]:
    query = sa.select(forms_t).where(forms_t.c.interrogation_id == interrogation_id).order_by(forms_t.c.position)
    return list((await conn.execute(query)).all())


async def active_forms(conn: Connection, user_id: int, ip: str | None) -> int:
    """Forms of a user (of an address, for the anonymous user) waiting or in work."""
    query = (
        sa.select(sa.func.count())
        .select_from(forms_t.join(inter_t, inter_t.c.id == forms_t.c.interrogation_id))
        .where(forms_t.c.user_id == user_id, forms_t.c.state.in_(ACTIVE))
    )
    if ip is not None:
        query = query.where(inter_t.c.ip == ip)
    return int(await conn.scalar(query) or 0)


@dataclasses.dataclass(frozen=True)
class Wanted:
    """What a popping alchemist can take."""

    forms: Sequence[str]
    max_tiles: int
    trusted: bool
    amount: int
    first_users: Sequence[int]  #: its owner and priority users, served first
    only_first_users: bool  #: paused or in maintenance: nobody else's forms


async def claim(
    conn: Connection, wanted: Wanted, *, worker_id: str, now: dt.datetime, deadline: dt.datetime
) -> list[AnyRow]:
    """Hand out up to ``wanted.amount`` waiting forms, best first (the worker's owner and priority users, then by
    rank). On PostgreSQL the chosen rows are locked and rows another pop holds are skipped; SQLite has one writer.
    The claim itself is guarded (``state = waiting``), so a form goes to exactly one worker."""
    first = forms_t.c.user_id.in_(list(wanted.first_users)) if wanted.first_users else sa.false()
    query = (
        sa.select(forms_t.c.id)
        .where(
            forms_t.c.state == FormState.WAITING.value,
            forms_t.c.name.in_(list(wanted.forms)),
            forms_t.c.tiles <= wanted.max_tiles,
        )
        .order_by(sa.case((first, 0), else_=1), forms_t.c.rank.desc(), forms_t.c.interrogation_id, forms_t.c.position)
        .limit(wanted.amount)
    )
    if not wanted.trusted:
        query = query.where(forms_t.c.trusted_only.is_(False))
    if wanted.only_first_users:
        query = query.where(first)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = [row[0] for row in await conn.execute(query)]
    claimed = []
    for form_id in ids:
        update = (
            forms_t.update()
            .where(forms_t.c.id == form_id, forms_t.c.state == FormState.WAITING.value)
            .values(
                state=FormState.PROCESSING.value,
                worker_id=worker_id,
                popped_at=now,
                deadline=deadline,
                attempts=forms_t.c.attempts + 1,
            )
        )
        if (await conn.execute(update)).rowcount:
            claimed.append(form_id)
    if not claimed:
        return []
    query = (
        sa.select(forms_t, inter_t.c.source_key, inter_t.c.width, inter_t.c.height)
        .join(inter_t, inter_t.c.id == forms_t.c.interrogation_id)
        .where(forms_t.c.id.in_(claimed))
        .order_by(sa.case((first, 0), else_=1), forms_t.c.rank.desc(), forms_t.c.interrogation_id, forms_t.c.position)
    )
    return list((await conn.execute(query)).all())


async def form_for_submit(conn: Connection, form_id: str) -> tuple[AnyRow, AnyRow] | None:
    """A form and its interrogation, the form's row locked on PostgreSQL until the transaction ends."""
    query = sa.select(forms_t).where(forms_t.c.id == form_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    form = (await conn.execute(query)).first()
    if form is None:
        return None
    interrogation = await by_id(conn, form.interrogation_id)
    return (form, interrogation) if interrogation is not None else None


async def form_by_id(conn: Connection, form_id: str) -> AnyRow | None:
    return (await conn.execute(sa.select(forms_t).where(forms_t.c.id == form_id))).first()


async def finish(
    conn: Connection, form_id: str, worker_id: str, *, result: dict[str, Any], result_key: str | None,
    reward_milli: int, charge_milli: int, now: dt.datetime,
) -> bool:  # fmt: skip
    """processing → done, only for the worker holding the form."""
    update = (
        forms_t.update()
        .where(
            forms_t.c.id == form_id,
            forms_t.c.worker_id == worker_id,
            forms_t.c.state == FormState.PROCESSING.value,
        )
        .values(
            state=FormState.DONE.value,
            result=result,
            result_key=result_key,
            reward_milli=reward_milli,
            charge_milli=charge_milli,
            finished_at=now,
            deadline=None,
        )
    )
    return bool((await conn.execute(update)).rowcount)


async def release(conn: Connection, form_id: str, *, requeue: bool) -> bool:
    """processing → waiting (another worker may take it) or faulted (out of attempts)."""
    values: dict[str, Any] = {"deadline": None}
    if requeue:
        values |= {"state": FormState.WAITING.value, "worker_id": None}
    else:
        values["state"] = FormState.FAULTED.value
    update = forms_t.update().where(forms_t.c.id == form_id, forms_t.c.state == FormState.PROCESSING.value)
    return bool((await conn.execute(update.values(**values))).rowcount)


async def overdue(conn: Connection, now: dt.datetime, limit: int = 500) -> list[AnyRow]:
    query = (
        sa.select(forms_t)
        .where(forms_t.c.state == FormState.PROCESSING.value, forms_t.c.deadline < now)
        .order_by(forms_t.c.id)
        .limit(limit)
    )
    return list((await conn.execute(query)).all())


async def cancel_waiting(conn: Connection, interrogation_id: str) -> int:
    update = (
        forms_t.update()
        .where(forms_t.c.interrogation_id == interrogation_id, forms_t.c.state == FormState.WAITING.value)
        .values(state=FormState.CANCELLED.value)
    )
    return int((await conn.execute(update)).rowcount)


async def update(conn: Connection, interrogation_id: str, **values: Any) -> None:
    await conn.execute(inter_t.update().where(inter_t.c.id == interrogation_id).values(**values))


async def expired(conn: Connection, now: dt.datetime, limit: int = 500) -> list[AnyRow]:
    """Interrogations past their expiry with no form in a worker's hands."""
    busy = sa.exists().where(forms_t.c.interrogation_id == inter_t.c.id, forms_t.c.state == FormState.PROCESSING.value)
    query = sa.select(inter_t).where(inter_t.c.expires_at < now, ~busy).order_by(inter_t.c.id).limit(limit)
    return list((await conn.execute(query)).all())


async def result_keys(conn: Connection, interrogation_ids: Sequence[str]) -> list[str]:
    query = sa.select(forms_t.c.result_key).where(
        forms_t.c.interrogation_id.in_(list(interrogation_ids)), forms_t.c.result_key.is_not(None)
    )
    return [row[0] for row in await conn.execute(query)]


async def delete(conn: Connection, interrogation_ids: Sequence[str]) -> None:
    ids = list(interrogation_ids)
    if ids:
        await conn.execute(forms_t.delete().where(forms_t.c.interrogation_id.in_(ids)))
        await conn.execute(inter_t.delete().where(inter_t.c.id.in_(ids)))


async def waiting_by_form(conn: Connection) -> dict[str, int]:
    """form name → forms waiting, for the status pages."""
    query = (
        sa.select(forms_t.c.name, sa.func.count())
        .where(forms_t.c.state == FormState.WAITING.value)
        .group_by(forms_t.c.name)
    )
    return {row[0]: int(row[1]) for row in await conn.execute(query)}


async def done_since(conn: Connection, since: dt.datetime) -> int:
    query = sa.select(sa.func.count()).where(forms_t.c.state == FormState.DONE.value, forms_t.c.finished_at >= since)
    return int(await conn.scalar(query) or 0)
