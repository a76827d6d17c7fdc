"""Check-then-write on balances, concurrency and request state holds when the calls race (issue 14, defect 3).

Meant for PostgreSQL (``-m pg``), where each call has a connection of its own and transactions truly overlap; on
SQLite the single writer serialises them and the same assertions hold.
"""

from __future__ import annotations

import asyncio
import re

import pytest
import sqlalchemy as sa

from horde.queue import dto, errors
from horde.queue.clock import FrozenClock
from horde.queue.domain.jobs import GenerationKind
from horde.queue.domain.roles import Role
from horde.queue.service import GenerationAsk, HordeService, SubmitAsk
from horde.queue.store import tables
from tests.factories import ask_image, make_user, pop, webp_bytes


async def spare(service: HordeService, actor: dto.Actor, to: str) -> float:
    """What ``actor`` can send, as the service's own refusal of too much says it."""
    with pytest.raises(errors.KudosTransferNotEnoughError) as refused:
        await service.kudos.transfer(actor, to, 1e9)
    found = re.search(r"at most ([0-9.]+) kudos", refused.value.message)
    assert found is not None
    return float(found[1])


async def floor_adjustments(service: HordeService) -> int:
    async with service.ctx.db.read() as conn:
        query = sa.select(sa.func.count()).where(tables.kudos_ledger.c.kind == "floor_adjustment")
        return int(await conn.scalar(query) or 0)


async def test_racing_transfers_cannot_send_more_than_is_spare(service: HordeService) -> None:
    sender = await make_user(service, "sender", kudos=100)
    receiver = await make_user(service, "receiver")
    available = await spare(service, sender, receiver.display_name)
    adjustments = await floor_adjustments(service)  # accounts open on their floor

    outcomes = await asyncio.gather(
        *(service.kudos.transfer(sender, receiver.display_name, 30) for _ in range(10)), return_exceptions=True
    )

    sent = [o for o in outcomes if isinstance(o, dto.TransferResult)]
    assert len(sent) == int(available // 30), outcomes
    assert all(isinstance(o, dto.TransferResult | errors.KudosTransferNotEnoughError) for o in outcomes), outcomes
    assert await spare(service, sender, receiver.display_name) == pytest.approx(available - 30 * len(sent))
    assert await floor_adjustments(service) == adjustments  # no kudos appeared to cover an overdraft


async def test_racing_transfers_both_ways_do_not_deadlock(service: HordeService) -> None:
    alice = await make_user(service, "alice", kudos=500)
    bob = await make_user(service, "bob", kudos=500)
    calls = [service.kudos.transfer(alice, bob.display_name, 1) for _ in range(5)]
    calls += [service.kudos.transfer(bob, alice.display_name, 1) for _ in range(5)]
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    # a transfer back within the cooldown is refused, but none fails for any other reason
    assert all(isinstance(o, dto.TransferResult | errors.TooFastKudosTransfersError) for o in outcomes), outcomes


async def test_racing_requests_cannot_hold_more_upfront_kudos_than_are_spare(service: HordeService) -> None:
    requester = await make_user(service, "big-spender", kudos=100)
    receiver = await make_user(service, "nobody")
    available = await spare(service, requester, receiver.display_name)
    big = {"width": 512, "height": 512, "steps": 30}  # fast workers only: held up front

    ask = GenerationAsk("a red cat", params=big, models=("tiny",), slow_workers=False)
    probe = await service.requests.estimate(requester, GenerationKind.IMAGE, ask)
    outcomes = await asyncio.gather(
        *(ask_image(service, requester, params=big, slow_workers=False) for _ in range(10)), return_exceptions=True
    )

    accepted = [o for o in outcomes if isinstance(o, dto.RequestCreated)]
    assert all(isinstance(o, dto.RequestCreated | errors.KudosUpfrontError) for o in outcomes), outcomes
    assert 0 < len(accepted) <= available // probe.kudos
    assert await spare(service, requester, receiver.display_name) >= 0


async def test_racing_requests_cannot_pass_the_concurrency_cap(service: HordeService) -> None:
    requester = await make_user(service, "eager", kudos=10_000)
    cap = (await service.users.me(requester)).concurrency
    n = 4
    outcomes = await asyncio.gather(
        *(ask_image(service, requester, params={"width": 64, "height": 64, "steps": 4, "n": n}) for _ in range(20)),
        return_exceptions=True,
    )
    accepted = [o for o in outcomes if isinstance(o, dto.RequestCreated)]
    assert all(isinstance(o, dto.RequestCreated | errors.TooManyPromptsError) for o in outcomes), outcomes
    assert len(accepted) == cap // n


async def test_the_last_jobs_finished_at_once_settle_their_request(
    service: HordeService, frozen_clock: FrozenClock
) -> None:
    """Four nodes (four services: a node batches its own submits into one transaction) finish a request's four
    jobs at the same moment."""
    if service.ctx.db.is_sqlite:
        pytest.skip("SQLite is one node: its submits are one transaction")
    nodes = [service] + [HordeService.open(service.ctx.settings, clock=frozen_clock) for _ in range(3)]
    try:
        requester = await make_user(service, "patron", kudos=10_000)
        owners = [await make_user(service, f"painter{i}", role=Role.TRUSTED) for i in range(len(nodes))]
        for round_ in range(10):
            params = {"width": 64, "height": 64, "steps": 4, "n": len(nodes)}
            created = await ask_image(service, requester, params=params)
            jobs = [await pop(service, owner, name=f"w{i}", amount=1) for i, owner in enumerate(owners)]
            assert all(job.found for job in jobs), round_
            await asyncio.gather(
                *(
                    node.workers.submit(owner, SubmitAsk(job_id=job.ids[0], image=webp_bytes()))
                    for node, owner, job in zip(nodes, owners, jobs, strict=True)
                )
            )
            async with service.ctx.db.read() as conn:
                requests = tables.generation_requests
                state = await conn.scalar(sa.select(requests.c.state).where(requests.c.id == created.id))
            assert state == "done", round_
    finally:
        for node in nodes[1:]:
            await node.close()
