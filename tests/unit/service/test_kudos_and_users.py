"""Kudos transfers and moderators' changes to users, through the service on a real database."""

from __future__ import annotations

import datetime as dt

import pytest

from horde.queue import clock as clock_mod, dto, errors
from horde.queue.service import SYSTEM, HordeService, Role
from horde.queue.store import audit, ledger
from tests import factories


async def balance(service: HordeService, actor: dto.Actor) -> float:
    return (await service.users.me(actor)).kudos


async def ledger_sum(service: HordeService, user_id: int) -> float:
    async with service.ctx.db.read() as conn:
        return await ledger.sum_for_user(conn, user_id) / 1000


async def test_a_transfer_moves_kudos_and_both_ledgers_say_so(service: HordeService) -> None:
    alice = await factories.make_user(service, "alice", kudos=100)
    bob = await factories.make_user(service, "bob")
    result = await service.kudos.transfer(alice, f"bob#{bob.user_id}", 30)
    assert result.amount == 30 and result.sender_balance == 95  # 25 opening floor + 100 - 30
    assert await balance(service, alice) == 95 and await balance(service, bob) == 55
    for who in (alice, bob):
        assert await ledger_sum(service, who.user_id) == await balance(service, who)
    [received] = [e for e in await service.kudos.history(bob) if e.kind == "transfer_in"]
    assert received.amount == 30 and received.counterparty_id == alice.user_id


@pytest.mark.parametrize(
    ("to", "amount", "error"),
    [
        ("alice", 5, errors.KudosTransferToSelfError),
        ("bob", 0, errors.NegativeKudosTransferError),
        ("bob", -5, errors.NegativeKudosTransferError),
        ("bob", float("nan"), errors.NegativeKudosTransferError),
        ("bob", 500, errors.KudosTransferNotEnoughError),
        ("nobody", 5, errors.UserNotFoundError),
        ("Anonymous#0", 5, errors.KudosTransferToAnonError),
    ],
)
async def test_a_bad_transfer_is_refused_and_moves_nothing(
    service: HordeService, to: str, amount: float, error: type[errors.HordeError]
) -> None:
    alice = await factories.make_user(service, "alice", kudos=100)
    bob = await factories.make_user(service, "bob")
    with pytest.raises(error):
        await service.kudos.transfer(alice, to, amount)
    assert await balance(service, alice) == 125 and await balance(service, bob) == 25


async def test_only_what_is_above_the_floor_can_be_sent(service: HordeService) -> None:
    alice = await factories.make_user(service, "alice", kudos=10)
    await factories.make_user(service, "bob")
    with pytest.raises(errors.KudosTransferNotEnoughError, match="at most 10"):
        await service.kudos.transfer(alice, "bob", 11)
    assert (await service.kudos.transfer(alice, "bob", 10)).sender_balance == 25


async def test_anonymous_users_cannot_send_kudos(service: HordeService) -> None:
    await factories.make_user(service, "bob")
    with pytest.raises(errors.KudosTransferFromAnonError):
        await service.kudos.transfer(service.users.anonymous(ip="10.0.0.1"), "bob", 1)


async def test_kudos_cannot_bounce_straight_back(service: HordeService, frozen_clock: clock_mod.FrozenClock) -> None:
    alice = await factories.make_user(service, "alice", kudos=100)
    bob = await factories.make_user(service, "bob", kudos=100)
    await service.kudos.transfer(alice, "bob", 10)
    with pytest.raises(errors.TooFastKudosTransfersError):
        await service.kudos.transfer(bob, "alice", 10)
    frozen_clock.advance(dt.timedelta(seconds=61).total_seconds())
    assert (await service.kudos.transfer(bob, "alice", 10)).amount == 10


async def test_only_moderators_read_another_users_ledger(service: HordeService) -> None:
    alice = await factories.make_user(service, "alice", kudos=5)
    bob = await factories.make_user(service, "bob")
    moderator = await factories.make_user(service, "mod", role=Role.MODERATOR)
    with pytest.raises(errors.NotModeratorError):
        await service.kudos.history(bob, alice.user_id)
    assert [e.kind for e in await service.kudos.history(moderator, alice.user_id)]


async def test_a_moderator_changes_a_user_and_the_audit_log_records_it(service: HordeService) -> None:
    carol = await factories.make_user(service, "carol")
    moderator = await factories.make_user(service, "mod", role=Role.MODERATOR)
    changed = await service.users.modify(moderator, carol.user_id, flagged=True, concurrency=7)
    assert changed.flagged and changed.concurrency == 7
    assert (await service.users.get(moderator, carol.user_id)).concurrency == 7
    async with service.ctx.db.read() as conn:
        [entry] = await audit.recent(conn, limit=1)
    assert (entry.actor_id, entry.action, entry.target_id) == (moderator.user_id, "user_modified", str(carol.user_id))
    assert entry.details == {
        "before": {"flagged": False, "concurrency": 30},
        "after": {"flagged": True, "concurrency": 7},
    }


async def test_a_plain_user_cannot_change_anyone(service: HordeService) -> None:
    carol = await factories.make_user(service, "carol")
    dave = await factories.make_user(service, "dave")
    with pytest.raises(errors.NotModeratorError):
        await service.users.modify(dave, carol.user_id, concurrency=100)
    assert (await service.users.get(SYSTEM, carol.user_id)).concurrency != 100


async def test_only_admins_grant_moderator_and_moderators_grant_the_other_flags(service: HordeService) -> None:
    carol = await factories.make_user(service, "carol")
    moderator = await factories.make_user(service, "mod", role=Role.MODERATOR)
    for flag in ("moderator", "admin"):
        with pytest.raises(errors.NotAdminError):
            await service.users.modify(moderator, carol.user_id, **{flag: True})
    trusted = await service.users.modify(moderator, carol.user_id, trusted=True, customizer=True)
    assert trusted.roles == {Role.TRUSTED, Role.CUSTOMIZER}
    admin = await factories.make_user(service, "boss", role=Role.ADMIN)
    promoted = await service.users.modify(admin, carol.user_id, trusted=False, moderator=True)
    assert promoted.roles == {Role.MODERATOR, Role.TRUSTED, Role.CUSTOMIZER}  # moderator brings trusted


async def test_an_unknown_change_is_refused(service: HordeService) -> None:
    carol = await factories.make_user(service, "carol")
    admin = await factories.make_user(service, "boss", role=Role.ADMIN)
    with pytest.raises(errors.ValidationError, match="Cannot change"):
        await service.users.modify(admin, carol.user_id, api_key_hash="x")
