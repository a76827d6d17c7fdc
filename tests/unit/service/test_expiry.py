from __future__ import annotations

import pytest

from horde.queue import clock, errors
from horde.queue.service import HordeService, SubmitAsk
from tests.factories import ask_image, make_user, pop


async def test_anonymous_results_expire_and_their_files_go(
    service: HordeService, frozen_clock: clock.FrozenClock
) -> None:
    anon = service.users.anonymous(ip="10.1.1.1")
    owner = await make_user(service, "owner")
    created = await ask_image(service, anon)
    job = await pop(service, owner)
    await service.workers.submit(owner, SubmitAsk(job.ids[0], image=b"RIFF....WEBP"))
    key = service.workers.result_key(job.ids[0])
    assert await service.ctx.results.load(key) is not None
    frozen_clock.advance(service.ctx.settings.request_expiry_seconds + 1)
    assert (await service.sweeps.run_once()).expired == 1
    with pytest.raises(errors.RequestNotFoundError):
        await service.requests.status(anon, created.id)
    assert await service.ctx.results.load(key) is None


async def test_gallery_results_stay_but_unserved_requests_stop_waiting(
    service: HordeService, frozen_clock: clock.FrozenClock
) -> None:
    user = await make_user(service, "keeper", kudos=100)
    owner = await make_user(service, "owner")
    served = await ask_image(service, user)
    job = await pop(service, owner)
    await service.workers.submit(owner, SubmitAsk(job.ids[0], image=b"RIFF....WEBP"))
    unserved = await ask_image(service, user, models=("nobody-serves-this",))
    frozen_clock.advance(service.ctx.settings.request_expiry_seconds + 1)
    await service.sweeps.run_once()
    assert (await service.requests.status(user, served.id)).finished == 1
    stopped = await service.requests.status(user, unserved.id)
    assert stopped.state == "expired"
    assert stopped.waiting == 0
    assert stopped.queue_position == 0
