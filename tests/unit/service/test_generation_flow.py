from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from horde.queue import clock, errors
from horde.queue.domain.jobs import GenerationKind, ResultState
from horde.queue.service import GenerationAsk, HordeService, SubmitAsk
from tests.factories import ask_image, make_user, pop


def webp() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(buf, "WEBP")
    return buf.getvalue()


async def test_image_round_trip_moves_kudos_both_ways(service: HordeService) -> None:
    requester = await make_user(service, "req", kudos=100)
    owner = await make_user(service, "owner")
    created = await ask_image(service, requester)
    status = await service.requests.status(requester, created.id)
    assert (status.waiting, status.queue_position, status.done) == (1, 1, False)

    job = await pop(service, owner)
    assert job.found and job.model == "tiny" and job.request_id == created.id
    await service.workers.upload_result(job.ids[0], webp(), handout=job.handouts[0])
    result = await service.workers.submit(owner, SubmitAsk(job.ids[0], seed=job.seeds[0]))
    assert result.reward > 0

    status = await service.requests.status(requester, created.id)
    assert status.done and status.finished == 1 and status.queue_position == 0
    assert status.generations[0].worker_name == "w1"
    assert await service.ctx.results.load(status.generations[0].result_key or "") == webp()
    owner_info = await service.users.me(owner)
    requester_info = await service.users.me(requester)
    assert owner_info.kudos == pytest.approx(25 + result.reward / 2, abs=0.001)  # an untrusted owner: half waits
    assert requester_info.kudos < 125


async def test_second_submit_answers_the_same_and_pays_once(service: HordeService) -> None:
    requester = await make_user(service, "req", kudos=100)
    owner = await make_user(service, "owner")
    await ask_image(service, requester)
    job = await pop(service, owner)
    first = await service.workers.submit(owner, SubmitAsk(job.ids[0], image=webp()))
    second = await service.workers.submit(owner, SubmitAsk(job.ids[0], image=webp()))
    assert second.reward == first.reward and second.duplicate
    history = await service.kudos.history(owner)
    assert [e.kind for e in history].count("worker_reward") == 1


async def test_pop_for_unserved_model_finds_nothing_and_says_why(service: HordeService) -> None:
    requester = await make_user(service, "req")
    owner = await make_user(service, "owner")
    created = await ask_image(service, requester, models=("other",))
    assert created.warnings and created.warnings[0]["code"] == "NoAvailableWorker"
    job = await pop(service, owner, models=("tiny",))
    assert not job.found


async def test_skip_reasons_are_counted(service: HordeService) -> None:
    requester = await make_user(service, "req", kudos=1000)
    owner = await make_user(service, "owner")
    await ask_image(service, requester, params={"width": 1024, "height": 1024, "steps": 10})
    job = await pop(service, owner, max_pixels=512 * 512)
    assert not job.found and job.skipped == {"max_pixels": 1}


async def test_faulted_submit_requeues_then_faults_the_request(service: HordeService) -> None:
    requester = await make_user(service, "req")
    owner = await make_user(service, "owner")
    created = await ask_image(service, requester)
    for _ in range(service.ctx.settings.max_attempts):
        job = await pop(service, owner)
        assert job.found
        assert (await service.workers.submit(owner, SubmitAsk(job.ids[0], state=ResultState.FAULTED))).reward == 0
    status = await service.requests.status(requester, created.id)
    assert status.faulted and status.done
    assert not (await pop(service, owner)).found


async def test_bad_input_is_rejected_and_changes_nothing(service: HordeService) -> None:
    requester = await make_user(service, "req")
    before = await service.kudos.history(requester)
    bad: list[tuple[str, dict[str, Any], type[Exception]]] = [
        ("", {}, errors.MissingPromptError),
        ("cat\x00", {}, errors.NulByteError),
        ("cat", {"width": 100}, errors.InvalidSizeError),
        ("cat", {"steps": 501}, errors.TooManyStepsError),
        ("cat", {"sampler_name": "nope"}, errors.UnsupportedSamplerError),
    ]
    for prompt, params, error in bad:
        with pytest.raises(error):
            await service.requests.submit(requester, GenerationKind.IMAGE, GenerationAsk(prompt, params=params))
    assert await service.kudos.history(requester) == before


async def test_expensive_request_needs_upfront_kudos(service: HordeService) -> None:
    poor = await make_user(service, "poor")
    with pytest.raises(errors.KudosUpfrontError):
        await ask_image(service, poor, params={"width": 2048, "height": 2048, "steps": 30})
    rich = await make_user(service, "rich", kudos=10_000)
    assert (await ask_image(service, rich, params={"width": 2048, "height": 2048, "steps": 30})).kudos > 50


async def test_cancel_keeps_finished_images(service: HordeService) -> None:
    requester = await make_user(service, "req", kudos=100)
    owner = await make_user(service, "owner")
    created = await ask_image(service, requester, params={"width": 64, "height": 64, "steps": 4, "n": 3})
    job = await pop(service, owner)
    await service.workers.submit(owner, SubmitAsk(job.ids[0], image=webp()))
    await service.requests.cancel(requester, created.id)
    status = await service.requests.status(requester, created.id)
    assert status.cancelled and status.finished == 1 and status.waiting == 0
    assert not (await pop(service, owner)).found


async def test_timed_out_job_goes_back_to_the_queue(service: HordeService, frozen_clock: clock.FrozenClock) -> None:
    requester = await make_user(service, "req")
    owner = await make_user(service, "owner")
    created = await ask_image(service, requester)
    other = await make_user(service, "other")
    first = await pop(service, owner, name="crashes")
    frozen_clock.advance(first.ttl + 1)
    report = await service.sweeps.run_once()
    assert report.requeued == 1
    second = await pop(service, other, name="finishes")
    assert second.ids == first.ids
    await service.workers.submit(other, SubmitAsk(second.ids[0], image=webp()))
    with pytest.raises(errors.AbortedGenError):
        await service.workers.submit(owner, SubmitAsk(first.ids[0], image=webp()))  # the crashed worker came back
    status = await service.requests.status(requester, created.id)
    assert status.done and status.restarted == 1


async def test_text_round_trip(service: HordeService) -> None:
    requester = await make_user(service, "req", kudos=100)
    owner = await make_user(service, "owner")
    created = await service.requests.submit(
        requester,
        GenerationKind.TEXT,
        GenerationAsk("Once upon a time", params={"max_length": 32}, models=("tiny-lm",)),
    )
    job = await pop(service, owner, name="t1", kind=GenerationKind.TEXT, models=("tiny-lm",))
    assert job.found and job.params["max_length"] == 32
    reward = await service.workers.submit(owner, SubmitAsk(job.ids[0], text="there was a cat."))
    status = await service.requests.status(requester, created.id)
    assert status.done and status.generations[0].text == "there was a cat." and reward.reward > 0


async def test_unserved_request_says_why_and_waits_until_expiry(service: HordeService) -> None:
    requester = await make_user(service, "req")
    created = await ask_image(service, requester, models=("nobody-serves-this",))
    status = await service.requests.status(requester, created.id)
    assert not status.is_possible
    assert status.blocked_reason
    assert status.wait_time == service.ctx.settings.request_expiry_seconds
    owner = await make_user(service, "owner")
    await pop(service, owner, models=("nobody-serves-this",))  # a worker for it comes online
    service.capacity.invalidate()
    status = await service.requests.status(requester, created.id)
    assert status.is_possible
    assert status.blocked_reason is None
    assert status.wait_time < service.ctx.settings.request_expiry_seconds
