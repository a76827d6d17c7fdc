"""A public image's page reveals nothing of what is not public (issue 14, defect 6: it linked its request, whose id
gives signed URLs for every image of the request through ``generate/status`` and allows a key-less cancel)."""

from __future__ import annotations

import httpx

from horde.queue.domain.roles import Role
from horde.queue.service import SYSTEM, HordeService, SubmitAsk
from tests import factories
from tests.web.conftest import log_in


async def two_images(service: HordeService) -> tuple[str, str, str]:
    """A request of two images by ``owner``: (request id, the image made public, the private sibling)."""
    owner = await factories.make_user(service, "owner", kudos=100)
    created = await factories.ask_image(service, owner, "two cats", params={"width": 64, "height": 64, "n": 2})
    worker_owner = await factories.make_user(service, "worker-owner", role=Role.TRUSTED)
    ids = []
    for _ in range(2):
        job = await factories.pop(service, worker_owner, name="w-two")
        ids.append(job.ids[0])
        await service.workers.submit(worker_owner, SubmitAsk(job_id=job.ids[0], image=factories.webp_bytes()))
    public, private = ids
    await service.gallery.mark(owner, public, public=True)
    return created.id, public, private


async def test_a_public_image_page_does_not_reveal_its_request(
    client: httpx.AsyncClient, service: HordeService
) -> None:
    request_id, public, private = await two_images(service)
    for url in (f"/images/{public}", f"/images/{public}?x=1"):
        page = await client.get(url, headers={"HX-Request": "true"} if "x=" in url else {})
        assert page.status_code == 200
        assert request_id not in page.text
        assert private not in page.text
    assert (await client.get(f"/images/{private}")).status_code == 404
    assert (await client.get(f"/images/{private}/file")).status_code == 404


async def test_the_service_gives_a_stranger_only_the_public_image(service: HordeService) -> None:
    request_id, public, private = await two_images(service)
    stranger = await factories.make_user(service, "stranger")
    item = await service.gallery.item(stranger, public)
    assert item.request.id != request_id and request_id not in repr(item)
    assert [g.id for g in item.request.generations] == [public]
    assert private not in repr(item)
    owner = await service.users.find(stranger, "owner")
    owner_view = await service.gallery.item(await service.users.actor_for(owner.id), public)
    assert owner_view.request.id == request_id and len(owner_view.request.generations) == 2


async def test_moderators_still_get_the_link_to_the_request(client: httpx.AsyncClient, service: HordeService) -> None:
    request_id, public, _ = await two_images(service)
    created = await service.users.create_user(SYSTEM, "viewer")
    await log_in(client, created.api_key)
    assert request_id not in (await client.get(f"/images/{public}")).text
    moderator = await service.users.create_user(SYSTEM, "mod", role=Role.MODERATOR)
    await log_in(client, moderator.api_key)
    assert request_id in (await client.get(f"/images/{public}")).text
