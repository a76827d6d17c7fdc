"""Rating a finished, shared request from its page earns kudos; the form shows only to its requester."""

from __future__ import annotations

import httpx

from horde.queue.service import SYSTEM, HordeService, SubmitAsk
from tests import factories
from tests.factories import webp_bytes
from tests.web.conftest import by_testid, log_in, post_form, soup


async def test_requester_rates_a_shared_request_and_sees_the_kudos(
    client: httpx.AsyncClient, service: HordeService
) -> None:
    created_user = await service.users.create_user(SYSTEM, "asker", kudos=100)
    asker = await service.users.authenticate(created_user.api_key)
    created = await factories.ask_image(service, asker, shared=True)
    worker_owner = await factories.make_user(service, "wo")
    job = await factories.pop(service, worker_owner)
    await service.workers.submit(worker_owner, SubmitAsk(job_id=job.ids[0], image=webp_bytes()))
    page = f"/requests/{created.id}"
    assert soup(await client.get(page)).find(id=f"request-rating-{created.id}") is None  # not the requester

    await log_in(client, created_user.api_key)
    form = soup(await client.get(page)).find(id=f"request-rating-{created.id}")
    assert form is not None and form.find("label", string="Score for image 1") is not None
    before = (await service.users.me(asker)).kudos
    data = {f"rating-{job.ids[0]}": "8", f"artifacts-{job.ids[0]}": "1", "best": job.ids[0]}
    response = await post_form(client, f"/requests/{created.id}/rate", data, htmx=True)
    assert response.status_code == 200, response.text
    earned = (await service.users.me(asker)).kudos - before
    assert earned > 0
    assert by_testid(soup(response), "rating-reward").strip().startswith("Thank you! You earned")
    again = soup(await client.get(page))
    assert again.select_one("[data-testid=rating-done]") is not None


async def test_unshared_requests_offer_no_rating(client: httpx.AsyncClient, service: HordeService) -> None:
    created_user = await service.users.create_user(SYSTEM, "asker", kudos=100)
    asker = await service.users.authenticate(created_user.api_key)
    created = await factories.ask_image(service, asker)
    worker_owner = await factories.make_user(service, "wo")
    job = await factories.pop(service, worker_owner)
    await service.workers.submit(worker_owner, SubmitAsk(job_id=job.ids[0], image=webp_bytes()))
    await log_in(client, created_user.api_key)
    assert soup(await client.get(f"/requests/{created.id}")).find(id=f"request-rating-{created.id}") is None
