"""Shared keys are stored hashed, like API keys: the database keeps a handle, the key is shown once (issue 14,
defect 1)."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from horde.queue import errors
from horde.queue.service import HordeService
from horde.queue.store import tables
from tests.factories import ask_image, make_user


async def stored_rows(service: HordeService) -> list[str]:
    async with service.ctx.db.read() as conn:
        rows = await conn.execute(sa.select(tables.shared_keys))
        return [str(tuple(row)) for row in rows]


async def test_a_shared_key_is_shown_once_and_stored_only_as_a_hash(service: HordeService) -> None:
    owner = await make_user(service, "owner", kudos=100)
    made = await service.sharedkeys.create(owner, name="for a friend", kudos=10)
    assert made.key is not None and made.id != made.key
    assert not any(made.key in row for row in await stored_rows(service))

    through = await service.sharedkeys.authenticate(made.key)
    assert through.user_id == owner.user_id and through.shared_key_id == made.id
    with pytest.raises(errors.AuthError):  # the handle the owner sees in listings is not a key
        await service.sharedkeys.authenticate(made.id)

    listed = await service.sharedkeys.for_user(owner.user_id)
    assert [k.id for k in listed] == [made.id] and listed[0].key is None
    assert (await service.sharedkeys.get(made.key)).name == "for a friend"  # by the key, as AI Horde's API does
    await service.sharedkeys.modify(owner, made.id, name="renamed")  # or by the handle, for its owner
    assert (await service.sharedkeys.get(made.key)).name == "renamed"


async def test_keys_made_before_hashing_are_hashed_at_start_up(service: HordeService) -> None:
    owner = await make_user(service, "owner", kudos=100)
    made = await service.sharedkeys.create(owner, name="new", kudos=10)
    assert made.key is not None
    created = await ask_image(service, await service.sharedkeys.authenticate(made.key))
    old_key = str(uuid.uuid4())
    async with service.ctx.db.write() as conn:  # as an earlier version stored a key: in clear, as the row id
        await conn.execute(tables.shared_keys.update().where(tables.shared_keys.c.id == made.id).values(id=old_key))
        requests = tables.generation_requests
        await conn.execute(requests.update().where(requests.c.id == created.id).values(shared_key_id=old_key))

    assert await service.sharedkeys.hash_legacy_keys() == 1
    assert await service.sharedkeys.hash_legacy_keys() == 0
    assert not any(old_key in row for row in await stored_rows(service))
    through = await service.sharedkeys.authenticate(old_key)  # the key people hold keeps working
    async with service.ctx.db.read() as conn:
        request_key = await conn.scalar(
            sa.select(tables.generation_requests.c.shared_key_id).where(tables.generation_requests.c.id == created.id)
        )
    assert request_key == through.shared_key_id != old_key
