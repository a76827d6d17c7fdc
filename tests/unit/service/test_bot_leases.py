"""One running copy of each chat bot: a second copy waits for the first one's lease, and takes over when it goes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from horde.queue.clock import FrozenClock
from horde.queue.service import HordeService
from horde.queue.service.bot_leases import lease_key
from horde.queue.settings import CoreSettings

QUICK = {"retry_seconds": 0.05, "check_seconds": 0.05}


@pytest.fixture
async def node_b(settings: CoreSettings, frozen_clock: FrozenClock) -> AsyncIterator[HordeService]:
    other = HordeService.open(settings, clock=frozen_clock)
    yield other
    await other.close()


async def test_a_second_copy_waits_and_takes_over_when_the_first_stops(
    service: HordeService, node_b: HordeService
) -> None:
    first_done = asyncio.Event()
    order: list[str] = []

    async def copy(node: HordeService, name: str, hold_until: asyncio.Event | None) -> None:
        async with node.bot_leases.hold("discord", "token-1", **QUICK):
            order.append(f"{name} in")
            if hold_until is not None:
                await hold_until.wait()
            order.append(f"{name} out")

    first = asyncio.ensure_future(copy(service, "a", first_done))
    await asyncio.sleep(0.05)
    second = asyncio.ensure_future(copy(node_b, "b", None))
    await asyncio.sleep(0.3)
    assert order == ["a in"]  # b waits while a holds the lease
    assert not second.done()
    first_done.set()
    await asyncio.wait_for(asyncio.gather(first, second), timeout=5)
    assert order == ["a in", "a out", "b in", "b out"]


async def test_other_bots_and_other_accounts_do_not_wait(service: HordeService, node_b: HordeService) -> None:
    async with service.bot_leases.hold("discord", "token-1", **QUICK):
        async with node_b.bot_leases.hold("discord", "token-2", **QUICK):
            pass
        async with node_b.bot_leases.hold("mastodon", "token-1", **QUICK):
            pass


@pytest.mark.pg
async def test_a_holder_whose_connection_breaks_learns_it_has_lost_the_lease(
    pg_url: str, service: HordeService, node_b: HordeService
) -> None:
    import asyncpg

    if service.ctx.db.is_sqlite:
        pytest.skip("PostgreSQL's session locks")
    async with service.bot_leases.hold("mastodon", "token-1", **QUICK) as lease:
        lost = asyncio.ensure_future(lease.lost())
        await asyncio.sleep(0.15)
        assert not lost.done()
        admin = await asyncpg.connect(pg_url.replace("postgresql://", "postgres://"))
        try:  # the holder's connection dies (a network cut, a restarted PostgreSQL)
            key = lease_key("mastodon", "token-1")
            killed = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                " AND classid::text::bigint = $1 AND objid::text::bigint = $2",
                (key >> 32) & 0xFFFFFFFF,
                key & 0xFFFFFFFF,
            )
        finally:
            await admin.close()
        assert killed == 1
        await asyncio.wait_for(lost, timeout=5)
        async with node_b.bot_leases.hold("mastodon", "token-1", **QUICK):  # the lock went with the connection
            pass
