"""Monthly kudos (issue 16, reference §2.5): an admin sets what an account receives each month, moderators and
admins also get a grant; the sweep pays it once a month, as ``recurring``, however many nodes sweep."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from horde.queue import dto, errors
from horde.queue.clock import FrozenClock
from horde.queue.domain.roles import Role
from horde.queue.service import SYSTEM, HordeService
from horde.queue.settings import CoreSettings
from horde.queue.store import tables
from tests.factories import make_user

START = dt.datetime(2026, 1, 31, 12, 0, tzinfo=dt.UTC)


async def recurring(service: HordeService, user_id: int) -> list[float]:
    async with service.ctx.db.read() as conn:
        query = sa.select(tables.kudos_ledger.c.amount_milli).where(
            tables.kudos_ledger.c.user_id == user_id, tables.kudos_ledger.c.kind == "recurring"
        )
        return [milli / 1000 for milli in (await conn.execute(query.order_by(tables.kudos_ledger.c.id))).scalars()]


@pytest.fixture
async def horde(settings: CoreSettings) -> AsyncIterator[HordeService]:
    """A horde whose clock starts on 31 January, with no moderators' grant unless a test asks for one."""
    svc = HordeService.open(settings.model_copy(update={"moderator_monthly_kudos": 0.0}), clock=FrozenClock(START))
    await svc.users.bootstrap()
    yield svc
    await svc.close()


async def admin(service: HordeService) -> dto.Actor:
    return await make_user(service, "boss", role=Role.ADMIN)


async def test_an_admins_amount_is_paid_once_a_month(horde: HordeService) -> None:
    clock = horde.ctx.clock
    assert isinstance(clock, FrozenClock)
    user = await make_user(horde, "patron")
    info = await horde.users.modify(await admin(horde), user.user_id, monthly_kudos=1000)
    assert (info.monthly_kudos, info.monthly_received_at) == (1000.0, None)

    assert await horde.sweeps.monthly.pay_due() == 1
    assert await horde.sweeps.monthly.pay_due() == 0  # the same month: nothing more
    clock.advance(27 * 86400)  # 27 February: not yet a month
    assert await horde.sweeps.monthly.pay_due() == 0
    clock.advance(86400 + 12 * 3600)  # 28 February, past noon: a month after 31 January
    assert await horde.sweeps.monthly.pay_due() == 1
    assert await recurring(horde, user.user_id) == [1000.0, 1000.0]

    me = await horde.users.me(user)
    assert me.kudos == pytest.approx(25 + 2000)
    assert me.recurring == 2000.0
    assert (me.monthly_kudos, me.monthly_received_at) == (1000.0, dt.datetime(2026, 2, 28, 12, 0, tzinfo=dt.UTC))


async def test_months_missed_are_not_paid_later(horde: HordeService) -> None:
    clock = horde.ctx.clock
    assert isinstance(clock, FrozenClock)
    user = await make_user(horde, "patron")
    await horde.users.modify(await admin(horde), user.user_id, monthly_kudos=10)
    await horde.sweeps.monthly.pay_due()
    clock.advance(100 * 86400)  # the horde was down for three months
    assert await horde.sweeps.monthly.pay_due() == 1
    assert await horde.sweeps.monthly.pay_due() == 0
    assert await recurring(horde, user.user_id) == [10.0, 10.0]
    me = await horde.users.me(user)
    assert me.monthly_received_at == dt.datetime(2026, 4, 30, 12, 0, tzinfo=dt.UTC)  # the anniversary kept


async def test_moderators_and_admins_get_the_grant_on_top(settings: CoreSettings) -> None:
    svc = HordeService.open(settings.model_copy(update={"moderator_monthly_kudos": 300.0}), clock=FrozenClock(START))
    try:
        await svc.users.bootstrap()
        boss = await make_user(svc, "boss", role=Role.ADMIN)
        mod = await make_user(svc, "mod", role=Role.MODERATOR)
        plain = await make_user(svc, "plain")
        trusted = await make_user(svc, "veteran", role=Role.TRUSTED)
        await svc.users.modify(boss, mod.user_id, monthly_kudos=50)

        await svc.sweeps.monthly.pay_due()

        assert await recurring(svc, mod.user_id) == [350.0]
        assert await recurring(svc, boss.user_id) == [300.0]
        assert await recurring(svc, plain.user_id) == []
        assert await recurring(svc, trusted.user_id) == []
        seen = await svc.users.get(boss, mod.user_id)
        assert seen.monthly_kudos == 350.0
    finally:
        await svc.close()


async def test_only_admins_set_monthly_kudos(horde: HordeService) -> None:
    mod = await make_user(horde, "mod", role=Role.MODERATOR)
    user = await make_user(horde, "someone")
    with pytest.raises(errors.NotAdminError):
        await horde.users.modify(mod, user.user_id, monthly_kudos=100)
    with pytest.raises(errors.AnonForbiddenError):
        await horde.users.modify(await admin(horde), 0, monthly_kudos=100)
    with pytest.raises(errors.ValidationError):
        await horde.users.modify(await make_user(horde, "boss2", role=Role.ADMIN), user.user_id, monthly_kudos=-5)
    assert await horde.sweeps.monthly.pay_due() == 0


async def test_a_change_is_audited_and_zero_stops_the_payments(horde: HordeService) -> None:
    clock = horde.ctx.clock
    assert isinstance(clock, FrozenClock)
    boss = await admin(horde)
    user = await make_user(horde, "patron")
    await horde.users.modify(boss, user.user_id, monthly_kudos=100)
    await horde.sweeps.monthly.pay_due()
    await horde.users.modify(boss, user.user_id, monthly_kudos=0)
    clock.advance(40 * 86400)
    assert await horde.sweeps.monthly.pay_due() == 0
    entries = await horde.audit.about(boss, "user", str(user.user_id))
    changes = [e.details for e in entries if e.action == "user_modified"]
    assert {"before": {"monthly_kudos": 0.0}, "after": {"monthly_kudos": 100}} in changes
    assert {"before": {"monthly_kudos": 100.0}, "after": {"monthly_kudos": 0}} in changes


async def test_suspended_and_deleted_accounts_are_not_paid(horde: HordeService) -> None:
    boss = await admin(horde)
    gone = await make_user(horde, "gone")
    banned = await make_user(horde, "banned")
    for user in (gone, banned):
        await horde.users.modify(boss, user.user_id, monthly_kudos=100)
    await horde.user_moderation.delete(boss, gone.user_id)
    await horde.users.modify(boss, banned.user_id, suspended=True)
    assert await horde.sweeps.monthly.pay_due() == 0


async def test_the_sweep_looks_once_an_hour(horde: HordeService) -> None:
    clock = horde.ctx.clock
    assert isinstance(clock, FrozenClock)
    boss = await admin(horde)
    first, second = await make_user(horde, "first"), await make_user(horde, "second")
    await horde.users.modify(boss, first.user_id, monthly_kudos=10)
    await horde.sweeps.run_once()
    await horde.users.modify(boss, second.user_id, monthly_kudos=10)
    await horde.sweeps.run_once()
    assert await recurring(horde, second.user_id) == []  # set a minute after the hourly look
    clock.advance(3600)
    await horde.sweeps.run_once()
    assert await recurring(horde, first.user_id) == [10.0]
    assert await recurring(horde, second.user_id) == [10.0]


async def test_two_nodes_paying_at_once_pay_each_month_once(settings: CoreSettings) -> None:
    """Two nodes on one PostgreSQL database both find the month due and pay at once (on SQLite, whose file has
    one writer process, two payers in one process: both read the month due before either writes)."""
    clock = FrozenClock(START)
    first = HordeService.open(settings, clock=clock)
    nodes = [first, first if first.ctx.db.is_sqlite else HordeService.open(settings, clock=clock)]
    try:
        await nodes[0].users.bootstrap()
        boss = await make_user(nodes[0], "boss", role=Role.ADMIN)
        people = [await nodes[0].users.create_user(SYSTEM, f"patron{i}") for i in range(6)]
        for person in people:
            await nodes[0].users.modify(boss, person.user.id, monthly_kudos=7)
        for _ in range(3):
            paid = await asyncio.gather(*(node.sweeps.monthly.pay_due() for node in nodes for _ in range(2)))
            assert sum(paid) == len(people) + 2  # the two admins (their grant) and the six patrons, once
            clock.advance(31 * 86400)
        for person in people:
            assert await recurring(nodes[1], person.user.id) == [7.0, 7.0, 7.0]
        for node in nodes:
            async with node.ctx.db.read() as conn:
                sums: dict[int, int] = dict((await conn.execute(sa.select(tables.kudos_ledger.c.user_id, sa.func.sum(tables.kudos_ledger.c.amount_milli)).group_by(tables.kudos_ledger.c.user_id))).all())  # fmt: skip
                balances: dict[int, int] = dict(
                    (await conn.execute(sa.select(tables.users.c.id, tables.users.c.kudos_milli))).all()
                )
            assert balances == {uid: sums.get(uid, 0) for uid in balances}
    finally:
        for node in {id(node): node for node in nodes}.values():
            await node.close()
