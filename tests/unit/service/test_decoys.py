"""Decoy jobs for paused workers (issue 16): a paused worker keeps getting work-shaped jobs that pay nothing, so it
cannot tell it was paused; its submits are accepted and earn 0, touch no real request, and no real request is ever
given to it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from horde.queue import dto, errors
from horde.queue.clock import FrozenClock
from horde.queue.domain import suspicion as suspicion_rules
from horde.queue.domain.jobs import GenerationKind, ResultState
from horde.queue.domain.roles import Role
from horde.queue.service import GenerationAsk, HordeService, SubmitAsk, suspicion
from horde.queue.store import economy_tables, tables
from tests.factories import ask_image, make_user, pop, webp_bytes

PARAMS = {"width": 64, "height": 64, "steps": 4}


async def paused_worker(service: HordeService, name: str = "cheat") -> dto.Actor:
    """An owner whose worker ``name`` a moderator paused."""
    owner = await make_user(service, f"{name}-owner")
    assert not (await pop(service, owner, name=name)).found  # registers it: nothing is waiting yet
    [worker] = await service.workers.listing(owner, owner_id=owner.user_id)
    await service.worker_moderation.pause(await make_user(service, f"{name}-mod", role=Role.MODERATOR), worker.id)
    return owner


async def ledger_rows(service: HordeService) -> int:
    async with service.ctx.db.read() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(tables.kudos_ledger)) or 0)


async def test_a_paused_worker_gets_a_copy_of_the_job_it_would_have_had(service: HordeService) -> None:
    cheat = await paused_worker(service)
    asker = await make_user(service, "asker", kudos=100)
    created = await ask_image(service, asker, "a lighthouse at dusk", params=PARAMS | {"n": 2, "cfg_scale": 6})

    decoy = await pop(service, cheat, name="cheat")

    assert decoy.found and len(decoy.ids) == 1
    assert (decoy.prompt, decoy.model) == ("a lighthouse at dusk", "tiny")
    assert decoy.params["cfg_scale"] == 6 and decoy.params["width"] == 64
    assert decoy.ttl > 0 and decoy.handouts == (1,)
    status = await service.requests.status(None, created.id)
    assert (status.waiting, status.processing) == (2, 0)  # the request was only read

    honest = await make_user(service, "honest", role=Role.TRUSTED)
    real = await pop(service, honest, name="honest")
    assert real.request_id == created.id and real.ids[0] not in decoy.ids


async def test_its_submit_is_taken_pays_nothing_and_touches_no_request(service: HordeService) -> None:
    cheat = await paused_worker(service)
    asker = await make_user(service, "asker", kudos=100)
    created = await ask_image(service, asker, params=PARAMS)
    decoy = await pop(service, cheat, name="cheat")
    before_rows, before_kudos = await ledger_rows(service), (await service.users.me(asker)).kudos

    result = await service.workers.submit(cheat, SubmitAsk(decoy.ids[0], image=webp_bytes()))

    assert result == dto.SubmitResult(reward=0.0)  # as for a requester on their floor: nothing tells it apart
    again = await service.workers.submit(cheat, SubmitAsk(decoy.ids[0], image=webp_bytes()))
    assert again == dto.SubmitResult(reward=0.0, duplicate=True)
    assert await ledger_rows(service) == before_rows
    assert (await service.users.me(asker)).kudos == before_kudos
    status = await service.requests.status(None, created.id)
    assert (status.waiting, status.finished, status.done) == (1, 0, False)
    [worker] = await service.workers.listing(cheat, owner_id=cheat.user_id)
    assert (worker.jobs_done, worker.kudos_earned) == (0, 0.0)


async def test_it_never_gets_a_real_job_its_owners_either(service: HordeService) -> None:
    cheat = await paused_worker(service)
    own = await ask_image(service, cheat, params=PARAMS)
    for _ in range(3):
        decoy = await pop(service, cheat, name="cheat")
        assert decoy.found and decoy.request_id is None
    async with service.ctx.db.read() as conn:
        held = await conn.scalar(sa.select(sa.func.count()).select_from(tables.jobs).where(tables.jobs.c.state != "queued"))  # fmt: skip
    assert held == 0
    assert (await service.requests.status(None, own.id)).waiting == 1


async def test_with_nothing_it_may_take_it_gets_nothing_as_anyone(service: HordeService) -> None:
    cheat = await paused_worker(service)
    asker = await make_user(service, "asker", kudos=100)
    await ask_image(service, asker, params={"width": 1024, "height": 1024, "steps": 4})
    paused = await pop(service, cheat, name="cheat")
    fine = await pop(service, await make_user(service, "other"), name="other")
    assert not paused.found and paused.skipped == fine.skipped == {"max_pixels": 1}


async def test_a_request_with_a_source_image_is_never_copied(service: HordeService) -> None:
    cheat = await paused_worker(service)
    asker = await make_user(service, "asker", kudos=100)
    await ask_image(service, asker, params=PARAMS, source_image=webp_bytes(), source_processing="img2img")
    assert not (await pop(service, cheat, name="cheat")).found


async def test_its_submits_are_checked_as_real_ones(service: HordeService, frozen_clock: FrozenClock) -> None:
    """A wrong-sized image, a submit by another user, or one after the deadline are refused as for a real job."""
    cheat = await paused_worker(service)
    asker = await make_user(service, "asker", kudos=100)
    for _ in range(3):
        await ask_image(service, asker, params=PARAMS)
    first, second, third = [await pop(service, cheat, name="cheat") for _ in range(3)]

    with pytest.raises(errors.ValidationError, match="not a 64×64 image"):
        await service.workers.submit(cheat, SubmitAsk(first.ids[0], image=webp_bytes(32)))
    with pytest.raises(errors.AbortedGenError):  # as a real job given back to the queue
        await service.workers.submit(cheat, SubmitAsk(first.ids[0], image=webp_bytes()))
    with pytest.raises(errors.WrongCredentialsError):
        await service.workers.submit(asker, SubmitAsk(second.ids[0], image=webp_bytes()))
    failed = await service.workers.submit(cheat, SubmitAsk(second.ids[0], state=ResultState.FAULTED))
    assert failed.reward == 0
    frozen_clock.advance(third.ttl + 1)
    with pytest.raises(errors.AbortedGenError):
        await service.workers.submit(cheat, SubmitAsk(third.ids[0], image=webp_bytes()))
    with pytest.raises(errors.InvalidJobIdError):
        await service.workers.submit(cheat, SubmitAsk("6f1c1f9e-0000-4000-8000-000000000000", image=webp_bytes()))


async def test_an_upload_to_its_url_is_taken(service: HordeService) -> None:
    cheat = await paused_worker(service)
    await ask_image(service, await make_user(service, "asker", kudos=100), params=PARAMS)
    decoy = await pop(service, cheat, name="cheat")
    await service.workers.upload_result(decoy.ids[0], webp_bytes(), handout=1)
    assert (await service.workers.submit(cheat, SubmitAsk(decoy.ids[0]))).reward == 0
    with pytest.raises(errors.DuplicateGenError):
        await service.workers.upload_result(decoy.ids[0], webp_bytes(), handout=1)


async def test_the_sweep_forgets_old_decoys(service: HordeService, frozen_clock: FrozenClock) -> None:
    cheat = await paused_worker(service)
    await ask_image(service, await make_user(service, "asker", kudos=100), params=PARAMS)
    decoy = await pop(service, cheat, name="cheat")
    await service.workers.upload_result(decoy.ids[0], webp_bytes(), handout=1)
    frozen_clock.advance(decoy.ttl + service.ctx.settings.request_expiry_seconds + 1)
    await service.sweeps.run_once()
    async with service.ctx.db.read() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(economy_tables.decoy_jobs)) == 0
    assert await service.ctx.results.load(f"decoy-{decoy.ids[0]}.webp") is None
    with pytest.raises(errors.InvalidJobIdError):
        await service.workers.submit(cheat, SubmitAsk(decoy.ids[0], image=webp_bytes()))


async def test_unpaused_it_works_for_real_again(service: HordeService) -> None:
    cheat = await paused_worker(service)
    created = await ask_image(service, await make_user(service, "asker", kudos=100), params=PARAMS)
    [worker] = await service.workers.listing(cheat, owner_id=cheat.user_id)
    await service.worker_moderation.pause(
        await make_user(service, "mod2", role=Role.MODERATOR), worker.id, paused=False
    )
    assert (await pop(service, cheat, name="cheat")).request_id == created.id


async def test_a_paused_text_worker_gets_text_decoys(service: HordeService) -> None:
    owner = await make_user(service, "scribe-owner")
    models = ("koboldcpp/Llama-3-8B",)
    ask = {"kind": GenerationKind.TEXT, "models": models}
    assert not (await pop(service, owner, name="scribe", **ask)).found
    [worker] = await service.workers.listing(owner, owner_id=owner.user_id)
    await service.worker_moderation.pause(await make_user(service, "mod", role=Role.MODERATOR), worker.id)
    asker = await make_user(service, "asker", kudos=100)
    created = await service.requests.submit(
        asker, GenerationKind.TEXT, GenerationAsk("Once upon a time", params={"max_length": 64}, models=models)
    )
    decoy = await pop(service, owner, name="scribe", **ask)
    assert decoy.found and decoy.kind == "text" and decoy.prompt == "Once upon a time"
    assert (await service.workers.submit(owner, SubmitAsk(decoy.ids[0], text="and so on"))).reward == 0
    assert (await service.requests.status(None, created.id)).waiting == 1


async def test_a_worker_paused_by_the_horde_is_never_told_why(service: HordeService) -> None:
    """The reason of an automatic pause goes to the moderators (suspicion); a message the worker could read (its
    maintenance message, shown when its owner puts it in maintenance) would tell it that it gets decoys."""
    owner = await make_user(service, "suspect-owner")
    assert not (await pop(service, owner, name="suspect")).found
    [worker] = await service.workers.listing(owner, owner_id=owner.user_id)
    async with service.ctx.db.write() as conn:
        for _ in range(suspicion_rules.THRESHOLD):
            reason = suspicion_rules.Reason.UNREASONABLY_FAST
            await suspicion.add(
                conn, worker_id=worker.id, owner_id=owner.user_id, reason=reason, detail="", now=service.ctx.clock()
            )
    moderator = await make_user(service, "suspect-mod", role=Role.MODERATOR)
    assert (await service.workers.get(moderator, worker.id)).paused  # paused, as the moderators see
    await service.workers.modify(owner, worker.id, maintenance=True)
    with pytest.raises(errors.WorkerMaintenanceError) as refused:
        await pop(service, owner, name="suspect")
    assert "pause" not in refused.value.message.lower() and "suspicion" not in refused.value.message.lower()
