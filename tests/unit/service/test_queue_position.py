"""Queue position counts the requests ahead in the request's shortest model queue."""

from __future__ import annotations

from horde.queue.service import HordeService
from tests.factories import ask_image, make_user, pop


async def test_position_counts_requests_ahead_in_the_shortest_of_its_model_queues(service: HordeService) -> None:
    first = await make_user(service, "first", kudos=1000)  # more kudos: ahead in the queue
    later = await make_user(service, "later")
    ahead = [await ask_image(service, first, models=("a",)) for _ in range(3)]
    only_a = await ask_image(service, later, models=("a",))
    a_or_b = await ask_image(service, later, models=("a", "b"))
    await ask_image(service, later, models=("b",))  # behind a_or_b in b's queue: not ahead of it

    assert [(await service.requests.status(later, r.id)).queue_position for r in ahead] == [1, 2, 3]
    assert (await service.requests.status(later, only_a.id)).queue_position == 4
    assert (await service.requests.status(later, a_or_b.id)).queue_position == 1  # first in b's queue

    owner = await make_user(service, "owner")
    popped = await pop(service, owner, models=("a",))
    assert popped.request_id == ahead[0].id
    assert (await service.requests.status(later, only_a.id)).queue_position == 3
    gone = await service.requests.status(later, ahead[0].id)
    assert (gone.waiting, gone.queue_position) == (0, 0)
