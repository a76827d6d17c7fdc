"""Every moderator and admin action lands in the audit log with who, what, when, before and after; moderators
search it by actor, target and action."""

from __future__ import annotations

import pytest

from horde.queue import errors
from horde.queue.clock import FrozenClock
from horde.queue.domain.roles import Role
from horde.queue.service import HordeService
from tests.factories import ask_image, make_user, pop


async def test_each_action_is_recorded_with_before_and_after(service: HordeService, frozen_clock: FrozenClock) -> None:
    admin = await make_user(service, "boss", role=Role.ADMIN)
    mod = await make_user(service, "mod", role=Role.MODERATOR)
    carol = await make_user(service, "carol")
    await service.users.modify(mod, carol.user_id, trusted=True)
    await service.users.modify(admin, carol.user_id, kudos=50, kudos_reason="bug bounty")
    made = await service.moderation.put_filter(mod, regex="forbidden", filter_type=20)
    await service.moderation.put_filter(mod, filter_id=made.id, regex="verboten", filter_type=20)
    await service.moderation.delete_filter(mod, made.id)
    await service.moderation.put_ip_timeout(mod, "10.9.0.0/16", hours=2, reason="spam")
    await service.moderation.delete_ip_timeout(mod, "10.9.0.0/16")
    owner = await make_user(service, "owner", role=Role.TRUSTED)
    job = await pop(service, owner, name="w1")
    worker = (await service.workers.listing(mod))[0]
    await service.workers.modify(mod, worker.id, paused=True)
    assert not job.found

    entries = await service.audit.search(mod)
    assert [e.action for e in entries] == [
        "worker_modified",
        "ip_unblocked",
        "ip_blocked",
        "filter_deleted",
        "filter_saved",
        "filter_saved",
        "user_modified",
        "user_modified",
    ]
    paused, *_, kudos, trusted = entries
    assert (paused.before, paused.after, paused.actor_name) == ({"paused": False}, {"paused": True}, "mod")
    assert (trusted.before, trusted.after) == ({"trusted": False}, {"trusted": True})
    assert kudos.after["kudos"] == kudos.before["kudos"] + 50 and kudos.details["reason"] == "bug bounty"
    assert entries[4].before == {"regex": "forbidden", "filter_type": 20, "description": None, "replacement": None}
    assert trusted.created_at == frozen_clock()


async def test_the_log_is_searchable_by_actor_target_and_action(service: HordeService) -> None:
    admin = await make_user(service, "boss", role=Role.ADMIN)
    mod = await make_user(service, "mod", role=Role.MODERATOR)
    carol, dave = await make_user(service, "carol"), await make_user(service, "dave")
    await service.users.modify(mod, carol.user_id, flagged=True)
    await service.users.modify(admin, dave.user_id, customizer=True)
    await service.moderation.put_ip_timeout(admin, "10.0.0.7", hours=1)

    assert [e.target_id for e in await service.audit.search(mod, by="mod")] == [str(carol.user_id)]
    assert len(await service.audit.search(mod, by=f"boss#{admin.user_id}")) == 2
    assert [e.actor_id for e in await service.audit.about(mod, "user", str(dave.user_id))] == [admin.user_id]
    assert [e.action for e in await service.audit.search(mod, action="ip_")] == ["ip_blocked"]
    assert [e.target_id for e in await service.audit.search(mod, target="ip:10.0.0.7")] == ["10.0.0.7"]
    with pytest.raises(errors.NotModeratorError):
        await service.audit.search(carol)


async def test_a_cidr_block_keeps_every_address_inside_it_from_generating(service: HordeService) -> None:
    mod = await make_user(service, "mod", role=Role.MODERATOR)
    await service.moderation.put_ip_timeout(mod, "203.0.113.0/24", hours=24)
    blocked = await make_user(service, "inside", kudos=100, ip="203.0.113.77")
    with pytest.raises(errors.TimeoutIPError):
        await ask_image(service, blocked)
    outside = await make_user(service, "outside", kudos=100, ip="203.0.114.1")
    assert (await ask_image(service, outside)).id
    assert [t.ip for t in await service.moderation.ip_timeouts(mod)] == ["203.0.113.0/24"]
    with pytest.raises(errors.ValidationError):
        await service.moderation.put_ip_timeout(mod, "10.0.0.0/4", hours=1)  # wider than /8
