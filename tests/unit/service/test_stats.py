from __future__ import annotations

from horde.queue.service import HordeService
from tests.factories import make_user, pop


async def test_models_count_workers_and_threads_apart(service: HordeService) -> None:
    owner = await make_user(service, "owner")
    await pop(service, owner, "w1", threads=4)
    await pop(service, owner, "w2", threads=1)
    (tiny,) = await service.stats.models("image")
    assert (tiny.name, tiny.workers, tiny.threads) == ("tiny", 2, 5)
