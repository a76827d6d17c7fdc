"""Alchemy in the engine (issue 17): interrogations are queued, popped by alchemists (each form to one worker),
submitted, paid and charged as AI Horde prices them; bad results and silent workers send forms back; limits hold;
and CSAM results count against the requester until moderators are told."""

from __future__ import annotations

import asyncio
import base64
import io

import pytest
from PIL import Image

from horde.queue import dto, errors
from horde.queue.clock import FrozenClock
from horde.queue.domain.roles import Role
from horde.queue.service import AlchemyAsk, AlchemyPopAsk, AlchemySubmitAsk, HordeService, ResultState, SubmitAsk
from horde.queue.store import admin as admin_store
from tests.factories import ask_image, make_user, pop


def png(width: int = 64, height: int = 64, colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def forms(*names: str) -> tuple[dict[str, object], ...]:
    return tuple({"name": name} for name in names)


async def ledger_sums(service: HordeService, actor: dto.Actor) -> dict[str, float]:
    sums: dict[str, float] = {}
    for entry in await service.kudos.history(actor, limit=500):
        sums[entry.kind] = sums.get(entry.kind, 0.0) + entry.amount
    return sums


async def alchemist_pop(
    service: HordeService, actor: dto.Actor, *names: str, name: str = "alchemist", amount: int = 5, max_tiles: int = 16
) -> dto.PoppedForms:
    return await service.alchemists.pop(
        actor, AlchemyPopAsk(name=name, forms=names, amount=amount, max_tiles=max_tiles)
    )


async def test_forms_are_handed_out_submitted_paid_and_charged(service: HordeService) -> None:
    requester = await make_user(service, "asker", kudos=100)
    owner = await make_user(service, "alchemist-owner", role=Role.TRUSTED)
    created = await service.interrogations.submit(
        requester, AlchemyAsk(forms=forms("caption", "nsfw", "interrogation"), source_image=png(600, 500))
    )
    assert created.kudos == pytest.approx((1 + 1) + (1 + 1) + (3 + 1))  # form kudos + the tax each
    assert (await service.interrogations.status(created.id)).state == "waiting"

    popped = await alchemist_pop(service, owner, "caption", "nsfw", "interrogation")
    assert sorted(f.form for f in popped.forms) == ["caption", "interrogation", "nsfw"]
    assert {f.source_key for f in popped.forms} == {f"alc-{created.id}.img"}
    assert (await alchemist_pop(service, owner, "caption", "nsfw", "interrogation")).forms == ()  # none twice
    assert (await service.interrogations.status(created.id)).state == "processing"

    results: dict[str, dict[str, object]] = {
        "caption": {"caption": "a red square"},
        "nsfw": {"nsfw": False},
        "interrogation": {"interrogation": {"tags": [{"text": "red", "confidence": 0.9}]}},
    }
    rewards = {}
    for form in popped.forms:
        done = await service.alchemists.submit(owner, AlchemySubmitAsk(form.id, results[form.form]))
        rewards[form.form] = done.reward
    assert rewards == {"caption": 1.0, "nsfw": 1.0, "interrogation": 3.0}

    status = await service.interrogations.status(created.id)
    assert status.state == "done"
    assert {f.form: f.result for f in status.forms} == results
    assert status.kudos == pytest.approx(8.0)
    assert (await ledger_sums(service, requester))["request_charge"] == pytest.approx(-8.0)
    assert (await ledger_sums(service, owner))["worker_reward"] == pytest.approx(5.0)
    again = await service.alchemists.submit(owner, AlchemySubmitAsk(popped.forms[0].id, {"caption": "x"}))
    assert again.duplicate  # a second submit pays nothing more


async def test_a_post_processor_result_must_be_the_upscaled_image(service: HordeService) -> None:
    requester = await make_user(service, "asker", kudos=100)
    owner = await make_user(service, "alchemist-owner", role=Role.TRUSTED)
    created = await service.interrogations.submit(
        requester, AlchemyAsk(forms=forms("RealESRGAN_x2plus"), source_image=png(100, 80), slow_workers=False)
    )
    assert created.kudos == pytest.approx(3 * 1 + 1 + 1)  # 3 per tile, the tax, and one for refusing slow workers

    [form] = (await alchemist_pop(service, owner, "RealESRGAN_x2plus")).forms
    await service.alchemists.upload(form.id, png(100, 80), handout=form.handout)  # not enlarged
    with pytest.raises(errors.ValidationError, match="200×160"):
        await service.alchemists.submit(owner, AlchemySubmitAsk(form.id, {"RealESRGAN_x2plus": "R2"}))
    assert (await service.interrogations.status(created.id)).forms[0].state == "waiting"  # back in the queue
    assert "worker_reward" not in await ledger_sums(service, owner)

    [form] = (await alchemist_pop(service, owner, "RealESRGAN_x2plus")).forms
    assert form.handout == 2
    big = base64.b64encode(png(200, 160, "blue")).decode()
    done = await service.alchemists.submit(owner, AlchemySubmitAsk(form.id, {"RealESRGAN_x2plus": big}))
    assert done.reward == 3.0
    status = await service.interrogations.status(created.id)
    [finished] = status.forms
    assert finished.result == {"RealESRGAN_x2plus": "R2"} and finished.result_key is not None
    stored = await service.results.load(finished.result_key)
    assert stored is not None and Image.open(io.BytesIO(stored)).size == (200, 160)


async def test_an_upload_from_a_worker_the_form_was_taken_from_is_refused(
    service: HordeService, frozen_clock: FrozenClock
) -> None:
    requester = await make_user(service, "asker", kudos=100)
    owner = await make_user(service, "alchemist-owner", role=Role.TRUSTED)
    await service.interrogations.submit(requester, AlchemyAsk(forms=forms("GFPGAN"), source_image=png()))
    [first] = (await alchemist_pop(service, owner, "GFPGAN", name="slow")).forms
    frozen_clock.advance(3600)
    assert (await service.sweeps.run_once()).requeued == 1
    [second] = (await alchemist_pop(service, owner, "GFPGAN", name="fast")).forms
    assert second.id == first.id and second.handout == first.handout + 1
    with pytest.raises(errors.AbortedGenError):
        await service.alchemists.upload(first.id, png(), handout=first.handout)
    await service.alchemists.upload(second.id, png(), handout=second.handout)
    assert (await service.alchemists.submit(owner, AlchemySubmitAsk(second.id, {"GFPGAN": "R2"}))).reward == 3.0


async def test_a_form_goes_to_exactly_one_of_many_racing_alchemists(service: HordeService) -> None:
    requester = await make_user(service, "asker", kudos=1000)
    owners = [await make_user(service, f"owner{i}", role=Role.TRUSTED) for i in range(6)]
    for _ in range(4):
        await service.interrogations.submit(requester, AlchemyAsk(forms=forms("caption"), source_image=png()))
    handed = await asyncio.gather(*(alchemist_pop(service, o, "caption", name=f"a{i}") for i, o in enumerate(owners)))
    ids = [f.id for p in handed for f in p.forms]
    assert len(ids) == 4 and len(set(ids)) == 4


async def test_limits_bad_input_and_who_may_cancel(service: HordeService) -> None:
    requester = await make_user(service, "asker", kudos=100)
    other = await make_user(service, "other", kudos=100)
    with pytest.raises(errors.ValidationError, match="Unknown form"):
        await service.interrogations.submit(requester, AlchemyAsk(forms=forms("sharpen"), source_image=png()))
    with pytest.raises(errors.ValidationError, match="twice"):
        await service.interrogations.submit(requester, AlchemyAsk(forms=forms("nsfw", "nsfw"), source_image=png()))
    with pytest.raises(errors.ValidationError, match="not an image"):
        await service.interrogations.submit(requester, AlchemyAsk(forms=forms("nsfw"), source_image=b"nope"))
    with pytest.raises(errors.ValidationError, match="larger than 3072"):
        await service.interrogations.submit(requester, AlchemyAsk(forms=forms("nsfw"), source_image=png(3100, 64)))
    created = await service.interrogations.submit(requester, AlchemyAsk(forms=forms("caption"), source_image=png()))
    with pytest.raises(errors.NotOwnerError):
        await service.interrogations.cancel(other, created.id)
    cancelled = await service.interrogations.cancel(requester, created.id)
    assert cancelled.state == "cancelled" and cancelled.forms[0].state == "cancelled"
    assert (await service.interrogations.status(created.id)).state == "cancelled"
    with pytest.raises(errors.RequestNotFoundError):
        await service.interrogations.status("not-an-id")


async def test_a_user_may_have_ten_forms_per_unit_of_concurrency_waiting(service: HordeService) -> None:
    requester = await make_user(service, "asker", kudos=100)
    await service.users.modify(await make_user(service, "mod", role=Role.MODERATOR), requester.user_id, concurrency=1)
    all_forms = forms("caption", "nsfw", "interrogation", "GFPGAN", "CodeFormers")
    await service.interrogations.submit(requester, AlchemyAsk(forms=all_forms, source_image=png()))
    await service.interrogations.submit(requester, AlchemyAsk(forms=all_forms, source_image=png()))
    with pytest.raises(errors.TooManyPromptsError):
        await service.interrogations.submit(requester, AlchemyAsk(forms=forms("caption"), source_image=png()))


async def test_a_silent_alchemist_loses_the_form_and_it_faults_after_the_last_attempt(
    service: HordeService, frozen_clock: FrozenClock
) -> None:
    requester = await make_user(service, "asker", kudos=100)
    owner = await make_user(service, "alchemist-owner", role=Role.TRUSTED)
    created = await service.interrogations.submit(requester, AlchemyAsk(forms=forms("caption"), source_image=png()))
    for _ in range(3):
        assert len((await alchemist_pop(service, owner, "caption")).forms) == 1
        frozen_clock.advance(3600)
        await service.sweeps.run_once()
    status = await service.interrogations.status(created.id)
    assert status.state == "faulted" and status.forms[0].state == "faulted"
    assert "request_charge" not in await ledger_sums(service, requester)  # nothing done, nothing charged


async def test_untrusted_alchemists_skip_trusted_only_and_too_large_images(service: HordeService) -> None:
    requester = await make_user(service, "asker", kudos=100)
    untrusted = await make_user(service, "newcomer")
    await service.interrogations.submit(
        requester, AlchemyAsk(forms=forms("caption"), source_image=png(), trusted_workers=True)
    )
    await service.interrogations.submit(requester, AlchemyAsk(forms=forms("nsfw"), source_image=png(1100, 1100)))
    assert (await alchemist_pop(service, untrusted, "caption", "nsfw", max_tiles=4)).forms == ()
    [taken] = (await alchemist_pop(service, untrusted, "caption", "nsfw", max_tiles=9)).forms
    assert taken.form == "nsfw"


async def test_csam_results_charge_only_the_tax_and_flag_the_account_past_the_limit(service: HordeService) -> None:
    requester = await make_user(service, "asker", kudos=1000)
    owner = await make_user(service, "owner", role=Role.TRUSTED)
    limit = service.ctx.settings.csam_limit_per_hour
    service.ctx.settings = service.ctx.settings.model_copy(update={"csam_limit_per_hour": 2})
    try:
        for i in range(3):
            await ask_image(service, requester, prompt=f"a test image {i}")
            job = await pop(service, owner)
            black = io.BytesIO()
            Image.new("RGB", (64, 64)).save(black, format="WEBP")
            metadata = ({"type": "censorship", "value": "csam"},)
            await service.workers.submit(
                owner, SubmitAsk(job_id=job.ids[0], image=black.getvalue(), state=ResultState.OK, gen_metadata=metadata)
            )
            [shown_status] = (await service.requests.status(requester, job.request_id or "")).generations
            assert (shown_status.state, shown_status.censored) == ("csam", True)  # the requester sees a censored image
            async with service.ctx.db.read() as conn:
                flagged = list(await admin_store.suspicions(conn, user_id=requester.user_id))
            assert len(flagged) == (1 if i == 2 else 0)  # past two in an hour: the moderators are told, once
    finally:
        service.ctx.settings = service.ctx.settings.model_copy(update={"csam_limit_per_hour": limit})
    assert flagged[0].reason == "csam_results"
    moderator = await make_user(service, "mod", role=Role.MODERATOR)
    [shown] = await service.csam.flagged(moderator)
    assert (shown.user_id, shown.name) == (requester.user_id, f"asker#{requester.user_id}")
    assert "3 images blocked as CSAM within an hour (account)" in shown.detail
    with pytest.raises(errors.ForbiddenError):
        await service.csam.flagged(owner)
    charges = [e for e in await service.kudos.history(requester, limit=100) if e.kind == "request_charge"]
    assert [round(e.amount, 3) for e in charges] == [-1.0, -1.0, -1.0]  # only the tax
