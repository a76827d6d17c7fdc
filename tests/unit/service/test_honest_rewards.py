"""Rewards follow real, checked work (issue 14, defect 2): a model's name prices nothing, the estimate is the
charge, and uptime pays only for models the horde knows."""

from __future__ import annotations

import pytest

from horde.queue import dto, errors
from horde.queue.clock import FrozenClock
from horde.queue.domain.jobs import GenerationKind
from horde.queue.domain.roles import Role
from horde.queue.service import GenerationAsk, HordeService, SubmitAsk
from horde.queue.store import workers as worker_store
from tests.factories import make_user, pop, webp_bytes

SMALL = {"width": 64, "height": 64, "steps": 10}


async def ledger_of(service: HordeService, actor: dto.Actor, request_id: str | None = None) -> dict[str, float]:
    sums: dict[str, float] = {}
    for entry in await service.kudos.history(actor, limit=500):
        if request_id is None or entry.request_id == request_id:
            sums[entry.kind] = sums.get(entry.kind, 0.0) + entry.amount
    return sums


async def serve(
    service: HordeService, requester: dto.Actor, worker_owner: dto.Actor, asked: tuple[str, ...], served: str
) -> tuple[float, str]:
    """A request for ``asked`` models served by a worker advertising ``served``: (its estimate, its id)."""
    ask = GenerationAsk("a lighthouse", params=SMALL, models=asked)
    estimate = (await service.requests.estimate(requester, GenerationKind.IMAGE, ask)).kudos
    created = await service.requests.submit(requester, GenerationKind.IMAGE, ask)
    assert created.kudos == pytest.approx(estimate)
    job = await pop(service, worker_owner, name=f"w-{served}"[:30], models=(served,))
    assert job.found and job.model == served
    await service.workers.submit(worker_owner, SubmitAsk(job_id=job.ids[0], image=webp_bytes()))
    return estimate, created.id


async def test_a_worker_naming_its_model_like_a_dear_one_is_paid_as_the_request_was_priced(
    service: HordeService,
) -> None:
    requester = await make_user(service, "asker", kudos=1000)
    owner = await make_user(service, "owner", role=Role.TRUSTED)

    estimate, request_id = await serve(service, requester, owner, (), "Qwen-Image-but-really-sd15")

    charged = await ledger_of(service, requester, request_id)
    assert -(charged["request_charge"] + charged["request_tax"]) == pytest.approx(estimate)  # estimate = charge
    earned = (await ledger_of(service, owner, request_id))["worker_reward"]
    assert earned == pytest.approx(-charged["request_charge"] - 1)  # the image's price, less the horde's tax


async def test_a_request_for_a_known_dear_model_costs_what_it_was_estimated(service: HordeService) -> None:
    requester = await make_user(service, "asker", kudos=1000)
    owner = await make_user(service, "owner", role=Role.TRUSTED)
    cheap, _ = await serve(service, requester, owner, ("tiny",), "tiny")

    estimate, request_id = await serve(service, requester, owner, ("SDXL 1.0",), "SDXL 1.0")

    charged = await ledger_of(service, requester, request_id)
    assert -(charged["request_charge"] + charged["request_tax"]) == pytest.approx(estimate)
    assert estimate - 2 == pytest.approx(2 * (cheap - 2))  # SDXL's baseline costs twice SD 1.x's, taxes aside


async def test_uptime_pays_only_for_models_the_horde_knows(service: HordeService, frozen_clock: FrozenClock) -> None:
    faker = await make_user(service, "faker", role=Role.TRUSTED)
    honest = await make_user(service, "honest", role=Role.TRUSTED)
    fake_models = tuple(f"made-up-model-{i}" for i in range(300))
    for _ in range(12):  # a pop a minute for 11 minutes
        await pop(service, faker, name="faker-1", models=fake_models)
        await pop(service, honest, name="honest-1", models=("tiny", "SDXL 1.0", *fake_models[:10]))
        frozen_clock.advance(60)

    assert (await ledger_of(service, faker)).get("uptime", 0.0) == 0.0
    assert (await ledger_of(service, honest))["uptime"] == pytest.approx(50 + 2 * 2)  # two known models


@pytest.mark.parametrize(
    "result",
    [bytes(range(16)), webp_bytes(32), b"GIF89a" + bytes(64)],
    ids=["random bytes", "an image of another size", "not an image format"],
)
async def test_a_result_that_is_not_an_image_of_the_asked_size_is_a_fault_not_a_payment(
    service: HordeService, result: bytes
) -> None:
    requester = await make_user(service, "asker", kudos=1000)
    cheat, honest = await make_user(service, "cheat"), await make_user(service, "honest")
    ask = GenerationAsk("a lighthouse", params={**SMALL, "width": 64, "height": 64}, models=("tiny",))
    created = await service.requests.submit(requester, GenerationKind.IMAGE, ask)
    job = await pop(service, cheat, name="cheat-1")

    with pytest.raises(errors.ValidationError, match="not a 64×64 image"):
        await service.workers.submit(cheat, SubmitAsk(job_id=job.ids[0], image=result))

    assert "worker_reward" not in await ledger_of(service, cheat)
    async with service.ctx.db.read() as conn:
        worker = await worker_store.by_name(conn, "cheat-1")
    assert worker is not None and worker.jobs_aborted == 1  # it counts against the worker
    again = await pop(service, honest, name="honest-1")  # the job went back to the queue
    assert again.ids == job.ids
    await service.workers.submit(honest, SubmitAsk(job_id=job.ids[0], image=webp_bytes()))
    assert (await service.requests.status(requester, created.id, with_generations=False)).done
    assert (await ledger_of(service, honest))["worker_reward"] > 0


async def test_nothing_is_paid_that_was_not_charged(service: HordeService) -> None:
    """A requester on their floor still gets their images, but the forgiven charge pays nobody: no kudos appear."""
    broke = await make_user(service, "broke")  # a new account sits on its floor: nothing to spare
    anonymous = service.users.anonymous(ip="198.51.100.4")
    owner = await make_user(service, "owner", role=Role.TRUSTED)
    stylist = await make_user(service, "stylist", role=Role.TRUSTED)
    style = await service.styles.create(
        stylist, GenerationKind.IMAGE, name="lighthouses", prompt="{p}{np}", params=SMALL, models=["tiny"]
    )

    for requester in (broke, anonymous):
        ask = GenerationAsk("a lighthouse", params=SMALL, models=("tiny",), style=style.id)
        await service.requests.submit(requester, GenerationKind.IMAGE, ask)
        job = await pop(service, owner, name="w-owner")
        result = await service.workers.submit(owner, SubmitAsk(job_id=job.ids[0], image=webp_bytes()))
        assert result.reward == 0

    assert (await ledger_of(service, owner)).get("worker_reward", 0.0) == 0.0
    assert (await ledger_of(service, stylist)).get("style_reward", 0.0) == 0.0


async def test_a_charge_partly_covered_pays_the_worker_the_same_share(service: HordeService) -> None:
    owner = await make_user(service, "owner", role=Role.TRUSTED)
    rich = await make_user(service, "rich", kudos=1000)
    estimate, request_id = await serve(service, rich, owner, ("tiny",), "tiny")
    full = (await ledger_of(service, owner, request_id))["worker_reward"]

    charge = estimate - 1  # the image's; the request's own tax of 1 is paid when it is queued
    short = await make_user(service, "short", kudos=1 + charge / 2)  # the request's tax and half of the image's
    _, short_request = await serve(service, short, owner, ("tiny",), "tiny")

    half = (await ledger_of(service, owner, short_request))["worker_reward"]
    assert half == pytest.approx(full / 2, abs=0.01)
    assert (await service.users.me(short)).kudos == pytest.approx(25)  # on their floor, and no further
