"""The moderation levers behind the /admin panel, through the service: each one works for moderators, and the
admin-only ones refuse moderators."""

from __future__ import annotations

import pytest

from horde.queue import errors
from horde.queue.clock import FrozenClock
from horde.queue.domain.roles import Role
from horde.queue.service import HordeService, SubmitAsk
from tests.factories import ask_image, make_user, pop, webp_bytes


async def test_a_blocked_ip_cannot_generate(service: HordeService) -> None:
    mod = await make_user(service, "mod", role=Role.MODERATOR)
    user = await make_user(service, "bob", kudos=100, ip="198.51.100.9")
    await service.moderation.put_ip_timeout(mod, "198.51.100.9", hours=1)
    with pytest.raises(errors.TimeoutIPError):
        await ask_image(service, user)
    await service.moderation.delete_ip_timeout(mod, "198.51.100.9")
    assert (await ask_image(service, user)).id


async def test_a_new_filter_blocks_a_matching_prompt_at_once(service: HordeService) -> None:
    mod = await make_user(service, "mod", role=Role.MODERATOR)
    user = await make_user(service, "bob", kudos=100)
    assert (await ask_image(service, user, "a purple wombat")).id  # the filters are now cached on this node
    await service.moderation.put_filter(mod, regex="wombat", filter_type=20, description="no wombats")
    with pytest.raises(errors.CorruptPromptError):
        await ask_image(service, user, "a purple wombat")
    assert await service.moderation.check_prompt("WOMBAT!") == [20]


async def test_a_kudos_adjustment_is_in_the_ledger_and_the_audit_log(service: HordeService) -> None:
    admin = await make_user(service, "boss", role=Role.ADMIN)
    mod = await make_user(service, "mod", role=Role.MODERATOR)
    user = await make_user(service, "bob")
    with pytest.raises(errors.NotAdminError):
        await service.users.modify(mod, user.user_id, kudos=10, kudos_reason="free money")
    await service.users.modify(admin, user.user_id, kudos=20, kudos_reason="bug bounty")
    [entry, *_] = await service.kudos.history(user)
    assert (entry.amount, entry.kind) == (20, "admin_grant") and "bug bounty" in (entry.memo or "")
    [audited] = await service.audit.search(mod, target=f"user:{user.user_id}")
    assert audited.details["reason"] == "bug bounty" and audited.actor_id == admin.user_id


async def test_a_paused_workers_job_is_requeued_and_served_by_another(service: HordeService) -> None:
    mod = await make_user(service, "mod", role=Role.MODERATOR)
    asker = await make_user(service, "asker", kudos=100)
    created = await ask_image(service, asker)
    bad, good = await make_user(service, "bad"), await make_user(service, "good")
    held = await pop(service, bad, name="slowpoke")
    assert held.found
    worker = next(w for w in await service.workers.listing(mod) if w.name == "slowpoke")
    paused = await service.worker_moderation.pause(mod, worker.id)
    assert paused.paused
    again = await pop(service, good, name="honest")
    assert again.ids == held.ids  # the same job, handed to the other worker at once
    await service.workers.submit(good, SubmitAsk(job_id=again.ids[0], image=webp_bytes()))
    assert (await service.requests.status(asker, created.id, with_generations=False)).done
    assert not (await pop(service, bad, name="slowpoke")).found
    with pytest.raises(errors.NotModeratorError):
        await service.worker_moderation.pause(bad, worker.id, paused=False)


async def test_maintenance_is_for_admins_and_refuses_new_requests(service: HordeService) -> None:
    admin, mod = await make_user(service, "boss", role=Role.ADMIN), await make_user(service, "mod", role=Role.MODERATOR)
    user = await make_user(service, "bob", kudos=100)
    with pytest.raises(errors.NotAdminError):
        await service.modes.change(mod, maintenance=True)
    await service.modes.change(mod, invite_only=True, banner="Be nice")
    await service.modes.change(admin, maintenance=True)
    with pytest.raises(errors.MaintenanceModeError):
        await ask_image(service, user)
    await service.modes.change(admin, maintenance=False)
    assert (await ask_image(service, user)).id
    modes = await service.modes.current()
    assert (modes.maintenance, modes.invite_only, modes.banner) == (False, True, "Be nice")
    assert [e.target_id for e in await service.audit.search(mod, action="mode_changed")] == [
        "maintenance",
        "maintenance",
        "banner",
        "invite_only",
    ]


async def test_raid_mode_refuses_registration_and_anonymous_requests(service: HordeService) -> None:
    mod = await make_user(service, "mod", role=Role.MODERATOR)
    await service.modes.change(mod, raid=True)
    with pytest.raises(errors.RaidModeError):
        await service.users.register(service.users.anonymous(), "newcomer")
    with pytest.raises(errors.RaidModeError):
        await ask_image(service, service.users.anonymous(ip="10.0.0.1"))


async def test_news_items(service: HordeService) -> None:
    mod = await make_user(service, "mod", role=Role.MODERATOR)
    item = await service.modes.add_news(mod, "Welcome", "The horde is open.")
    assert [n.title for n in await service.modes.news()] == ["Welcome"]
    with pytest.raises(errors.NotModeratorError):
        await service.modes.add_news(await make_user(service, "bob"), "Spam", "spam")
    await service.modes.delete_news(mod, item.id)
    assert await service.modes.news() == []


async def test_results_too_fast_raise_suspicion_until_the_worker_is_paused(
    service: HordeService, frozen_clock: FrozenClock
) -> None:
    asker = await make_user(service, "asker", kudos=10_000)
    cheat, honest = await make_user(service, "cheat"), await make_user(service, "honest", role=Role.TRUSTED)
    params = {"width": 512, "height": 512, "steps": 30}
    for owner, name in ((cheat, "fake"), (honest, "fast-but-trusted")):
        for _ in range(5):
            await ask_image(service, asker, params=params)
            job = await pop(service, owner, name=name, max_pixels=512 * 512)
            await service.workers.submit(owner, SubmitAsk(job_id=job.ids[0], image=webp_bytes(512)))
    mod = await make_user(service, "mod", role=Role.MODERATOR)
    listed = {w.worker.name: w for w in await service.worker_moderation.listing(mod)}
    assert (listed["fake"].suspicion, listed["fake"].worker.paused) == (5, True)
    assert (listed["fast-but-trusted"].suspicion, listed["fast-but-trusted"].worker.paused) == (0, False)
    dossier = await service.user_moderation.dossier(mod, cheat.user_id)
    assert dossier.user.suspicion == 5 and {s.reason for s in dossier.suspicions} == {"unreasonably_fast"}
    await service.users.modify(mod, cheat.user_id, reset_suspicion=True)
    assert (await service.users.get(mod, cheat.user_id)).suspicion == 0


async def test_soft_delete_and_undelete(service: HordeService) -> None:
    mod = await make_user(service, "mod", role=Role.MODERATOR)
    bob = await make_user(service, "bob")
    other_mod = await make_user(service, "mod2", role=Role.MODERATOR)
    with pytest.raises(errors.NotAdminError):
        await service.user_moderation.delete(mod, other_mod.user_id)
    assert (await service.user_moderation.delete(mod, bob.user_id)).deleted
    with pytest.raises(errors.SuspendedError):
        await service.users.actor_for(bob.user_id)
    with pytest.raises(errors.NotModeratorError):
        await service.user_moderation.undelete(bob, bob.user_id)
    assert not (await service.user_moderation.undelete(mod, bob.user_id)).deleted
    assert (await service.users.actor_for(bob.user_id)).user_id == bob.user_id


async def test_messages_to_a_workers_owner(service: HordeService) -> None:
    mod = await make_user(service, "mod", role=Role.MODERATOR)
    owner, stranger = await make_user(service, "owner"), await make_user(service, "stranger")
    await pop(service, owner, name="w1")
    [worker] = await service.workers.listing(mod)
    sent = await service.worker_moderation.send_message(mod, worker.id, "Please update your worker.")
    assert [m.message for m in await service.worker_moderation.active_for_worker(worker.id)] == [sent.message]
    assert [m.id for m in await service.worker_moderation.messages(owner)] == [sent.id]
    assert await service.worker_moderation.messages(stranger) == []
    with pytest.raises(errors.NotOwnerError):
        await service.worker_moderation.send_message(stranger, worker.id, "hi")


async def test_search_finds_by_name_id_and_alias(service: HordeService) -> None:
    mod = await make_user(service, "mod", role=Role.MODERATOR)
    bob = await make_user(service, "bobby tables")
    for query in ("bobby", str(bob.user_id), f"whatever#{bob.user_id}"):
        assert [u.id for u in await service.user_moderation.search(mod, query)] == [bob.user_id], query
    with pytest.raises(errors.NotModeratorError):
        await service.user_moderation.search(bob, "mod")


async def test_the_live_queue_and_a_moderators_cancel(service: HordeService) -> None:
    mod = await make_user(service, "mod", role=Role.MODERATOR)
    asker = await make_user(service, "asker", kudos=100, ip="192.0.2.5")
    created = await ask_image(service, asker, "a queued cat")
    [waiting] = await service.user_moderation.waiting(mod)
    assert (waiting.id, waiting.username, waiting.ip, waiting.queued) == (created.id, "asker", "192.0.2.5", 1)
    with pytest.raises(errors.NotModeratorError):
        await service.user_moderation.cancel_request(asker, created.id)
    await service.user_moderation.cancel_request(mod, created.id)
    assert await service.user_moderation.waiting(mod) == []
    assert [e.action for e in await service.audit.search(mod, target=f"request:{created.id}")] == ["request_cancelled"]
    assert (await service.requests.status(asker, created.id, with_generations=False)).cancelled


async def test_invite_only_mode_takes_new_workers_by_invitation(service: HordeService) -> None:
    mod = await make_user(service, "mod", role=Role.MODERATOR)
    known = await make_user(service, "known")
    await pop(service, known, name="old-worker")  # registered before the mode: keeps working
    await service.modes.change(mod, invite_only=True)
    newcomer = await make_user(service, "newcomer")
    with pytest.raises(errors.WorkerInviteOnlyError):
        await pop(service, newcomer, name="new-worker")
    await service.users.modify(mod, newcomer.user_id, worker_invited=1)
    await pop(service, newcomer, name="new-worker")
    assert (await service.users.get(mod, newcomer.user_id)).worker_invited == 0
    await pop(service, known, name="old-worker")
    trusted = await make_user(service, "trusted", role=Role.TRUSTED)
    await pop(service, trusted, name="trusted-worker")


async def test_a_blocked_address_cannot_register_a_worker(service: HordeService) -> None:
    mod = await make_user(service, "mod", role=Role.MODERATOR)
    await service.moderation.put_ip_timeout(mod, "203.0.113.0/24", hours=1)
    owner = await make_user(service, "owner", ip="203.0.113.50")
    with pytest.raises(errors.TimeoutIPError):
        await pop(service, owner, name="from-blocked")
