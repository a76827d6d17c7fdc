"""Image jobs go only to workers that can do them (issue 17): a request's post-processors must all be among those
a worker runs, and a worker without a CSAM guard gets only requests that allow no NSFW and ask for censoring."""

from __future__ import annotations

from horde.queue.clock import FrozenClock
from horde.queue.domain.roles import Role
from horde.queue.service import AlchemyPopAsk, HordeService
from horde.queue.service.offers import MAX_AGE_SECONDS, Offers
from tests.factories import ask_image, make_user, pop


async def test_post_processing_goes_to_workers_that_run_those_post_processors(service: HordeService) -> None:
    requester = await make_user(service, "asker", kudos=100)
    owner = await make_user(service, "owner", role=Role.TRUSTED)
    params = {
        "width": 64,
        "height": 64,
        "steps": 4,
        "post_processing": ["RealESRGAN_x4plus", "GFPGAN"],
        "facefixer_strength": 0.3,
    }
    created = await ask_image(service, requester, params=params)

    face_only = await pop(service, owner, name="faces", post_processors=("GFPGAN",))
    assert not face_only.found and face_only.skipped == {"post-processing": 1}
    none_at_all = await pop(service, owner, name="plain", allow_post_processing=False)
    assert not none_at_all.found and none_at_all.skipped == {"post-processing": 1}
    both = await pop(service, owner, name="both", post_processors=("GFPGAN", "RealESRGAN_x4plus", "CodeFormers"))
    assert both.found and both.request_id == created.id
    assert both.params["post_processing"] == ["RealESRGAN_x4plus", "GFPGAN"]  # in the order asked
    assert both.params["facefixer_strength"] == 0.3  # the worker blends the face fixer's output by it


async def test_an_ai_horde_worker_saying_only_allow_post_processing_runs_them_all(service: HordeService) -> None:
    requester = await make_user(service, "asker", kudos=100)
    owner = await make_user(service, "owner", role=Role.TRUSTED)
    await ask_image(
        service, requester, params={"width": 64, "height": 64, "steps": 4, "post_processing": ["NMKD_Siax"]}
    )
    assert (await pop(service, owner, name="regen")).found


async def test_a_worker_without_a_csam_guard_gets_only_censored_sfw_requests(service: HordeService) -> None:
    requester = await make_user(service, "asker", kudos=100)
    owner = await make_user(service, "owner", role=Role.TRUSTED)
    await ask_image(service, requester, prompt="uncensored", nsfw=False, censor_nsfw=False)
    await ask_image(service, requester, prompt="nsfw allowed", nsfw=True)
    censored = await ask_image(service, requester, prompt="censored", nsfw=False, censor_nsfw=True)

    unguarded = await pop(service, owner, name="unguarded", csam_guard=False, nsfw=False)
    assert unguarded.found and unguarded.request_id == censored.id and unguarded.nsfw_censor
    nothing = await pop(service, owner, name="unguarded", csam_guard=False, nsfw=False)
    assert not nothing.found and nothing.skipped == {"safety": 1, "nsfw": 1}
    guarded = await pop(service, owner, name="guarded", csam_guard=True, nsfw=True)
    assert guarded.found


async def test_offers_list_what_online_workers_run(service: HordeService, frozen_clock: FrozenClock) -> None:
    owner = await make_user(service, "owner", role=Role.TRUSTED)
    assert await service.offers.current() == Offers(frozenset(), frozenset())
    await pop(service, owner, name="faces", post_processors=("GFPGAN", "not-a-post-processor"))
    await service.alchemists.pop(owner, AlchemyPopAsk(name="alchemist", forms=("caption", "strip_background")))
    frozen_clock.advance(MAX_AGE_SECONDS)  # the board is read again once its answer is this old
    offers = await service.offers.current()
    assert offers == Offers(frozenset({"GFPGAN"}), frozenset({"caption", "strip_background"}))
    frozen_clock.advance(3600)  # both went offline
    assert await service.offers.current() == Offers(frozenset(), frozenset())
