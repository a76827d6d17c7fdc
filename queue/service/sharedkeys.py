"""Shared keys (AI Horde's ``sharedkeys``): a UUID that acts for its owner, with a kudos budget, expiry and limits."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

from horde.queue import dto, errors
from horde.queue.domain import kudos as kudos_rules, params as params_mod
from horde.queue.service import keys
from horde.queue.service.context import Context
from horde.queue.service.users import actor_from_row
from horde.queue.store import requests as request_store, sharedkeys as key_store, users as user_store
from horde.queue.store.connection import Connection

MAX_KUDOS = 50_000_000
MAX_IMAGE_PIXELS = 4_194_304
MAX_IMAGE_STEPS = 500
MAX_TEXT_TOKENS = 500
KEYS_PER_USER = {False: 3, True: 10}  #: untrusted, trusted


def _info(row: key_store.SharedKeyRow) -> dto.SharedKeyInfo:
    return dto.SharedKeyInfo(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        kudos_limit=-1.0 if row.kudos_limit_milli < 0 else kudos_rules.from_milli(row.kudos_limit_milli),
        utilized=kudos_rules.from_milli(row.utilized_milli),
        expires_at=row.expires_at,
        max_image_pixels=row.max_image_pixels,
        max_image_steps=row.max_image_steps,
        max_text_tokens=row.max_text_tokens,
    )


def _values(changes: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """Column values from the API's fields; each limit is -1 (none) or within AI Horde's bounds."""
    values: dict[str, Any] = {}
    bounds = {
        "kudos": MAX_KUDOS,
        "max_image_pixels": MAX_IMAGE_PIXELS,
        "max_image_steps": MAX_IMAGE_STEPS,
        "max_text_tokens": MAX_TEXT_TOKENS,
    }
    for field, high in bounds.items():
        value = changes.get(field)
        if value is None:
            continue
        if not (value == -1 or 0 <= value <= high):
            raise errors.ValidationError(f"{field} must be -1 or 0 to {high}.", {field: f"-1 or 0-{high}"})
        column = "kudos_limit_milli" if field == "kudos" else field
        values[column] = kudos_rules.to_milli(value) if field == "kudos" and value >= 0 else int(value)
    if changes.get("name") is not None:
        name = str(changes["name"])
        params_mod.reject_nul_bytes(name, "name")
        if not 3 <= len(name.strip()) <= 255:
            raise errors.ValidationError("A shared key's name has 3 to 255 characters.", {"name": "3-255"})
        values["name"] = name.strip()
    if changes.get("expiry") is not None:
        days = int(changes["expiry"])
        if not (days == -1 or 1 <= days <= 3650):
            raise errors.ValidationError("expiry is -1 or 1 to 3650 days.", {"expiry": "-1 or 1-3650"})
        values["expires_at"] = None if days == -1 else now + dt.timedelta(days=days)
    return values


class SharedKeyService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def create(self, actor: dto.Actor, **fields: Any) -> dto.SharedKeyInfo:
        if actor.is_anonymous:
            raise errors.AnonForbiddenError
        now = self.ctx.clock()
        defaults = {"kudos": 5000, "expiry": -1, "name": "shared key", "max_image_pixels": -1}
        defaults |= {"max_image_steps": -1, "max_text_tokens": -1}
        values = _values(defaults | {k: v for k, v in fields.items() if v is not None}, now)
        secret_key = str(uuid.uuid4())
        key_id = keys.shared_key_handle(self.ctx.secret, secret_key)
        async with self.ctx.db.write() as conn:
            cap = KEYS_PER_USER[actor.is_trusted]
            if await key_store.count_for_user(conn, actor.user_id) >= cap:
                raise errors.ForbiddenError(f"You can have at most {cap} shared keys.")
            await key_store.insert(
                conn,
                {"id": key_id, "user_id": actor.user_id, "utilized_milli": 0, "created_at": now, **values},
            )
            row = await key_store.by_id(conn, key_id)
        if row is None:  # pragma: no cover - written in this transaction
            raise errors.SharedKeyNotFoundError
        return dataclasses.replace(_info(row), key=secret_key)

    def _handle(self, key_or_handle: str) -> str:
        """The stored handle of a key given as itself, or as its handle (which its owner sees in listings)."""
        if keys.is_shared_key_handle(key_or_handle):
            return key_or_handle
        return keys.shared_key_handle(self.ctx.secret, key_or_handle)

    async def get(self, key_id: str) -> dto.SharedKeyInfo:
        async with self.ctx.db.read() as conn:
            row = await key_store.by_id(conn, self._handle(key_id))
        if row is None:
            raise errors.SharedKeyNotFoundError
        return _info(row)

    async def for_user(self, user_id: int) -> list[dto.SharedKeyInfo]:
        async with self.ctx.db.read() as conn:
            return [_info(row) for row in await key_store.for_user(conn, user_id)]

    async def modify(self, actor: dto.Actor, key_id: str, **fields: Any) -> dto.SharedKeyInfo:
        key_id = self._handle(key_id)
        async with self.ctx.db.write() as conn:
            row = await key_store.by_id(conn, key_id)
            if row is None:
                raise errors.SharedKeyNotFoundError
            if row.user_id != actor.user_id:
                raise errors.NotOwnerError
            values = _values({k: v for k, v in fields.items() if v is not None}, self.ctx.clock())
            if values:
                await key_store.update(conn, key_id, **values)
            row = await key_store.by_id(conn, key_id)
        if row is None:  # pragma: no cover - written in this transaction
            raise errors.SharedKeyNotFoundError
        return _info(row)

    async def delete(self, actor: dto.Actor, key_id: str) -> None:
        key_id = self._handle(key_id)
        async with self.ctx.db.write() as conn:
            row = await key_store.by_id(conn, key_id)
            if row is None:
                raise errors.SharedKeyNotFoundError
            if row.user_id != actor.user_id and not actor.is_moderator:
                raise errors.NotOwnerError
            await key_store.delete(conn, key_id)

    async def authenticate(self, key: str, *, ip: str | None = None, client_agent: str | None = None) -> dto.Actor:
        """The owner, acting through the shared key (the key itself; a handle does not authenticate). An expired or
        spent key is refused."""
        async with self.ctx.db.read() as conn:
            row = await key_store.by_id(conn, keys.shared_key_handle(self.ctx.secret, key))
            owner = await user_store.by_id(conn, row.user_id) if row is not None else None
        if row is None or owner is None:
            raise errors.AuthError
        if row.expires_at is not None and row.expires_at <= self.ctx.clock():
            raise errors.SharedKeyExpiredError
        if 0 <= row.kudos_limit_milli <= row.utilized_milli:
            raise errors.SharedKeyEmptyError
        if owner.suspended:
            raise errors.SuspendedError
        actor = actor_from_row(owner, ip=ip, client_agent=client_agent)
        return dto.Actor(**{**actor.__dict__, "shared_key_id": row.id})

    async def hash_legacy_keys(self) -> int:
        """Keys made before shared keys were hashed are kept as handles from now on (once, at start-up); returns
        how many were changed."""
        async with self.ctx.db.write() as conn:
            legacy = [k for k in await key_store.all_ids(conn) if not keys.is_shared_key_handle(k)]
            for old in legacy:
                await key_store.rekey(conn, old, keys.shared_key_handle(self.ctx.secret, old))
        return len(legacy)

    async def check_limits(self, actor: dto.Actor, kind: str, params: dict[str, Any]) -> None:
        """A request through a shared key must stay within the key's per-job limits."""
        if actor.shared_key_id is None:
            return
        key = await self.get(actor.shared_key_id)
        if kind == "image":
            pixels = int(params.get("width", 512) or 512) * int(params.get("height", 512) or 512)
            if 0 <= key.max_image_pixels < pixels:
                raise errors.ValidationError("This shared key allows fewer pixels.", {"params": "too many pixels"})
            if 0 <= key.max_image_steps < int(params.get("steps", 30) or 30):
                raise errors.ValidationError("This shared key allows fewer steps.", {"params.steps": "too many"})
        elif 0 <= key.max_text_tokens < int(params.get("max_length", 80) or 80):
            raise errors.ValidationError("This shared key allows fewer tokens.", {"params.max_length": "too many"})


async def reserve(conn: Connection, key_id: str, needed_milli: int, now: dt.datetime) -> None:
    """Inside a request's write transaction: refuse it when the key is expired, gone, or cannot pay ``needed``
    on top of what it has spent and what its waiting requests may still cost (so spending stops at the limit)."""
    row = await key_store.lock(conn, key_id)
    if row is None:
        raise errors.SharedKeyEmptyError("This shared key was deleted.")
    if row.expires_at is not None and row.expires_at <= now:
        raise errors.SharedKeyExpiredError
    if row.kudos_limit_milli < 0:
        return
    pending = await request_store.pending_for_key_milli(conn, key_id)
    left = row.kudos_limit_milli - row.utilized_milli - pending
    if left < needed_milli:
        raise errors.SharedKeyEmptyError(
            f"This shared key has {kudos_rules.from_milli(max(0, left)):g} kudos left; "
            f"the request needs {kudos_rules.from_milli(needed_milli):g}."
        )


async def spend(conn: Connection, key_id: str | None, amount_milli: int) -> None:
    """Count kudos spent through a shared key against its budget (a key deleted meanwhile counts nothing)."""
    if key_id is not None and amount_milli > 0:
        await key_store.add_utilized(conn, key_id, amount_milli)
