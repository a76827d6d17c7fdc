"""Uploaded source images are stored only for requests that are queued: a refused request leaves no file."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from PIL import Image

from horde.queue import errors
from horde.queue.service import SYSTEM, GenerationAsk, GenerationKind, HordeService
from horde.queue.store import tables
from horde.queue.store.results import FolderResultStore
from tests import factories


def png(size: int = 64) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), "white").save(out, format="PNG")
    return out.getvalue()


async def stored_keys(service: HordeService) -> set[str]:
    """Every key in the result store, whichever kind it is."""
    results = service.ctx.results
    if isinstance(results, FolderResultStore):
        return {path.name for path in results.folder.iterdir()}
    async with service.ctx.db.read() as conn:
        return set((await conn.execute(sa.select(tables.blobs.c.key))).scalars())


def img2img(params: dict[str, object] | None = None) -> GenerationAsk:
    params = params or {"width": 64, "height": 64, "steps": 4}
    return GenerationAsk(
        "a red cat",
        params=params,
        models=("tiny",),
        source_image=png(),
        source_mask=png(),
        source_processing="inpainting",
    )


async def test_a_queued_request_keeps_its_source_and_mask(service: HordeService) -> None:
    actor = await factories.make_user(service, "painter", kudos=100)
    created = await service.requests.submit(actor, GenerationKind.IMAGE, img2img())
    assert await stored_keys(service) == {f"src-{created.id}.img", f"mask-{created.id}.img"}


async def test_a_request_over_the_concurrency_limit_leaves_no_file(service: HordeService) -> None:
    new = await service.users.create_user(SYSTEM, "busy", kudos=100, concurrency=1)
    actor = await service.users.authenticate(new.api_key)
    await factories.ask_image(service, actor)  # its one allowed waiting job
    with pytest.raises(errors.TooManyPromptsError):
        await service.requests.submit(actor, GenerationKind.IMAGE, img2img())
    assert await stored_keys(service) == set()


async def test_a_request_without_the_upfront_kudos_leaves_no_file(service: HordeService) -> None:
    actor = await factories.make_user(service, "poor")
    big: dict[str, object] = {"width": 1536, "height": 1536, "steps": 80}
    with pytest.raises(errors.KudosUpfrontError):
        await service.requests.submit(actor, GenerationKind.IMAGE, img2img(big))
    assert await stored_keys(service) == set()
