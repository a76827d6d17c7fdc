from __future__ import annotations

import io

import pytest
from PIL import Image

from horde.queue import errors
from horde.queue.service import HordeService, SubmitAsk
from tests.factories import ask_image, make_user, pop


def webp() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(buf, "WEBP")
    return buf.getvalue()


async def finish_one(service: HordeService, worker_owner: object) -> None:
    job = await pop(service, worker_owner)  # type: ignore[arg-type]
    assert job.found
    await service.workers.upload_result(job.ids[0], webp(), handout=job.handouts[0])
    await service.workers.submit(worker_owner, SubmitAsk(job.ids[0], seed=job.seeds[0]))  # type: ignore[arg-type]


async def test_spending_through_a_shared_key_counts_against_it_and_stops_at_its_limit(service: HordeService) -> None:
    owner = await make_user(service, "owner", kudos=1000)
    worker_owner = await make_user(service, "wo")
    key = await service.sharedkeys.create(owner, name="party", kudos=5)
    through_key = await service.sharedkeys.authenticate(str(key.key))
    assert through_key.shared_key_id == key.id

    first = await ask_image(service, through_key)
    assert (await service.sharedkeys.get(key.id)).utilized == pytest.approx(1)  # the horde tax at once
    await finish_one(service, worker_owner)
    spent = (await service.requests.status(owner, first.id)).kudos
    assert (await service.sharedkeys.get(key.id)).utilized == pytest.approx(spent)
    assert spent < 5

    with pytest.raises(errors.SharedKeyEmptyError):  # what is left cannot pay another request's estimate
        await ask_image(service, through_key)
    owner_balance = (await service.users.me(owner)).kudos
    assert owner_balance == pytest.approx(1025 - spent)  # the owner paid, as for their own request
    assert (await service.sharedkeys.get(key.id)).utilized == pytest.approx(spent)  # the refusal spent nothing


async def test_waiting_requests_hold_the_key_budget(service: HordeService) -> None:
    owner = await make_user(service, "owner", kudos=1000)
    key = await service.sharedkeys.create(owner, name="party", kudos=5)
    through_key = await service.sharedkeys.authenticate(str(key.key))
    await ask_image(service, through_key)  # waits; may still cost up to its estimate
    with pytest.raises(errors.SharedKeyEmptyError):
        await ask_image(service, through_key)


async def test_an_unlimited_key_only_counts(service: HordeService) -> None:
    owner = await make_user(service, "owner", kudos=1000)
    worker_owner = await make_user(service, "wo")
    key = await service.sharedkeys.create(owner, name="open", kudos=-1)
    through_key = await service.sharedkeys.authenticate(str(key.key))
    for _ in range(2):
        await ask_image(service, through_key)
        await finish_one(service, worker_owner)
    used = (await service.sharedkeys.get(key.id)).utilized
    assert used > 2 and (await service.sharedkeys.get(key.id)).kudos_limit == -1


async def test_a_spent_key_no_longer_authenticates(service: HordeService) -> None:
    owner = await make_user(service, "owner", kudos=1000)
    worker_owner = await make_user(service, "wo")
    key = await service.sharedkeys.create(owner, name="tiny", kudos=4)
    through_key = await service.sharedkeys.authenticate(str(key.key))
    await ask_image(service, through_key)
    await finish_one(service, worker_owner)
    used = (await service.sharedkeys.get(key.id)).utilized
    await service.sharedkeys.modify(owner, key.id, kudos=int(used))  # the owner lowers the budget below the use
    with pytest.raises(errors.SharedKeyEmptyError):
        await service.sharedkeys.authenticate(str(key.key))
