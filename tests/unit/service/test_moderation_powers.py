"""Moderators cannot create kudos, nor act on a moderator's or an admin's account (issue 14, defect 8)."""

from __future__ import annotations

import pytest

from horde.queue import errors
from horde.queue.domain.roles import Role
from horde.queue.service import HordeService
from tests.factories import make_user


async def test_kudos_changes_are_for_admins_only(service: HordeService) -> None:
    moderator = await make_user(service, "mod", role=Role.MODERATOR)
    user = await make_user(service, "plain")
    before = (await service.users.me(user)).kudos
    for target in (moderator, user):
        with pytest.raises(errors.NotAdminError):
            await service.users.modify(moderator, target.user_id, kudos=1000)
    assert (await service.users.me(user)).kudos == before

    admin = await make_user(service, "boss", role=Role.ADMIN)
    await service.users.modify(admin, user.user_id, kudos=10)
    assert (await service.users.me(user)).kudos == before + 10


async def test_a_moderator_acts_only_on_accounts_below_their_own(service: HordeService) -> None:
    moderator = await make_user(service, "mod", role=Role.MODERATOR)
    other_mod = await make_user(service, "mod2", role=Role.MODERATOR)
    admin = await make_user(service, "boss", role=Role.ADMIN)
    user = await make_user(service, "plain")

    for target in (admin, other_mod, moderator):
        for change in ({"flagged": True}, {"username": "renamed"}, {"concurrency": 1}):
            with pytest.raises(errors.NotAdminError):
                await service.users.modify(moderator, target.user_id, **change)
    assert (await service.users.me(admin)).username == "boss"

    changed = await service.users.modify(moderator, user.user_id, flagged=True, username="renamed")
    assert changed.username == "renamed"
    await service.users.modify(admin, other_mod.user_id, concurrency=5)  # an admin may
