"""The capacity picture is taken by one caller at a time, however many ask while it is being taken."""

from __future__ import annotations

import asyncio
from typing import Any
from unittest.mock import patch

from horde.queue.service import HordeService
from horde.queue.store import workers as worker_store
from tests.factories import make_user, pop


async def test_callers_arriving_together_take_one_picture(service: HordeService) -> None:
    owner = await make_user(service, "owner")
    await pop(service, owner, models=("tiny",))  # one online worker
    service.capacity.invalidate()
    takes = 0
    release = asyncio.Event()
    real = worker_store.listing

    async def slow(conn: Any, **kwargs: Any) -> list[Any]:
        nonlocal takes
        takes += 1
        await release.wait()
        return await real(conn, **kwargs)

    with patch.object(worker_store, "listing", slow):
        callers = [asyncio.ensure_future(service.capacity.snapshot()) for _ in range(10)]
        await asyncio.sleep(0.01)
        release.set()
        snaps = await asyncio.gather(*callers)
    assert takes == 1
    assert all(snap is snaps[0] for snap in snaps)
    assert snaps[0].serving("image", ["tiny"], 64 * 64)
