"""Loopholes the economy simulation (``bench/economy.py``, issue 16) found, each closed with a regression test."""

from __future__ import annotations

import pytest

from horde.queue import dto, errors
from horde.queue.clock import FrozenClock
from horde.queue.domain.roles import Role
from horde.queue.service import HordeService, Rating, SubmitAsk
from tests.factories import ask_image, make_user, pop, webp_bytes

BIG = {"width": 512, "height": 512, "steps": 30}  #: 7.9 megapixel-steps: seconds of work for any real worker
IMAGE = webp_bytes(512)


async def hand_back(service: HordeService, clock: FrozenClock, owner: dto.Actor, after: float) -> tuple[float, str]:
    """A 512×512 request served by ``owner``'s worker, whose image comes back ``after`` seconds after the pop:
    (the reward, the request's id)."""
    created = await ask_image(service, await make_user(service, f"asker{owner.user_id}", kudos=500), params=BIG)
    job = await pop(service, owner, name=f"w{owner.user_id}")
    assert job.found
    clock.advance(after)
    return (await service.workers.submit(owner, SubmitAsk(job.ids[0], image=IMAGE))).reward, created.id


async def test_a_blank_image_handed_back_at_once_earns_nothing(
    service: HordeService, frozen_clock: FrozenClock
) -> None:
    """A worker returning right-sized blank images the instant it pops them was paid for each until suspicion
    paused it (five jobs); a result faster than any real worker now earns an untrusted owner nothing, and costs
    the requester only the horde's tax."""
    cheat = await make_user(service, "cheat")
    reward, request_id = await hand_back(service, frozen_clock, cheat, after=0.0)
    assert reward == 0
    history = await service.kudos.history(cheat, limit=50)
    assert sum(e.amount for e in history if e.kind == "worker_reward") == 0
    status = await service.requests.status(None, request_id)
    assert status.done  # the requester still has the image
    assert status.kudos <= 2.0  # the request's tax and the image's tax, nothing for the image itself


async def test_a_real_speed_result_is_paid(service: HordeService, frozen_clock: FrozenClock) -> None:
    honest = await make_user(service, "honest")
    reward, _ = await hand_back(service, frozen_clock, honest, after=5.0)
    assert reward == pytest.approx(7.61)


async def test_a_trusted_owner_is_not_second_guessed(service: HordeService, frozen_clock: FrozenClock) -> None:
    fast = await make_user(service, "fast", role=Role.TRUSTED)
    reward, _ = await hand_back(service, frozen_clock, fast, after=0.0)
    assert reward == pytest.approx(7.61)


async def test_accounts_without_kudos_share_one_limit_per_address(service: HordeService) -> None:
    """Ten accounts registered from one address each had a leech's whole concurrency limit, and got 2,746 free
    images where six leeches got 1,586; accounts without kudos now share one limit per address."""
    first = await make_user(service, "sybil1", ip="198.51.100.7")
    second = await make_user(service, "sybil2", ip="198.51.100.7")
    for _ in range(3):
        await ask_image(service, first, params={"width": 64, "height": 64, "steps": 4, "n": 10})  # 30 waiting
    with pytest.raises(errors.TooManyPromptsError, match="share one limit per address"):
        await ask_image(service, second)
    elsewhere = await make_user(service, "leech", ip="203.0.113.9")
    await ask_image(service, elsewhere)  # another address has its own limit
    payer = await make_user(service, "payer", kudos=100, ip="198.51.100.7")
    await ask_image(service, payer)  # an account with kudos to spend has its own limit


async def shared_request(service: HordeService, rater: dto.Actor, n: int = 1) -> tuple[str, list[str]]:
    """A finished, shared request of ``rater`` with ``n`` images: (its id, its images' ids)."""
    created = await ask_image(service, rater, shared=True, params={"width": 64, "height": 64, "steps": 4, "n": n})
    painter = await make_user(service, f"painter-{created.id[:8]}", role=Role.TRUSTED)
    images: list[str] = []
    while len(images) < n:
        job = await pop(service, painter, name=f"p-{created.id[:8]}")
        assert job.found
        for job_id in job.ids:
            await service.workers.submit(painter, SubmitAsk(job_id, image=webp_bytes()))
            images.append(job_id)
    return created.id, images


async def test_ratings_that_never_vary_earn_nothing(service: HordeService) -> None:
    """A rater who rated every one of its images 10 got nearly each image's price back (rewards are capped just
    below the cost) and so kept a contributor's place in the queue; the same score ten times running now earns
    nothing. Ratings that vary keep earning."""
    spammer = await make_user(service, "spammer", kudos=500)
    earned = []
    for _ in range(12):
        request_id, [image] = await shared_request(service, spammer)
        earned.append(await service.ratings.rate(spammer, request_id, ratings=(Rating(image, 10, artifacts=0),)))
    assert all(reward > 0 for reward in earned[:9])
    assert earned[9:] == [0.0, 0.0, 0.0]

    honest = await make_user(service, "honest", kudos=500)
    for i in range(12):
        request_id, [image] = await shared_request(service, honest)
        score = (7, 8, 6, 9)[i % 4]
        assert await service.ratings.rate(honest, request_id, ratings=(Rating(image, score, artifacts=1),)) > 0


async def test_picking_the_best_of_one_image_earns_nothing(service: HordeService) -> None:
    """ "Best of the batch" paid 15 kudos (capped below the cost) for a request of one image, where there is no
    choice to make; it pays only when there were several images to choose from."""
    rater = await make_user(service, "picker", kudos=500)
    request_id, [only] = await shared_request(service, rater)
    assert await service.ratings.rate(rater, request_id, best=only) == 0.0
    request_id, images = await shared_request(service, rater, n=2)
    assert await service.ratings.rate(rater, request_id, best=images[1]) > 0
