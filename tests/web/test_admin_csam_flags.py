"""The moderators' overview lists accounts flagged because workers' CSAM guards blocked many of their images
(issue 17), each linked to its dossier."""

from __future__ import annotations

import httpx

from horde.queue.domain.roles import Role
from horde.queue.service import SYSTEM, HordeService, ResultState, SubmitAsk
from tests.factories import ask_image, make_user, pop, webp_bytes
from tests.web.conftest import log_in, soup


async def test_an_account_past_the_csam_limit_shows_on_the_moderation_overview(
    client: httpx.AsyncClient, service: HordeService
) -> None:
    service.ctx.settings = service.ctx.settings.model_copy(update={"csam_limit_per_hour": 1})
    requester = await make_user(service, "dave", kudos=100)
    owner = await make_user(service, "owner", role=Role.TRUSTED)
    moderator = await service.users.create_user(SYSTEM, "moddy", role=Role.MODERATOR)
    await log_in(client, moderator.api_key)
    assert soup(await client.get("/admin")).select_one("[data-testid=csam-flags]") is None  # nothing: no section

    for i in range(2):
        await ask_image(service, requester, prompt=f"picture {i}")
        job = await pop(service, owner)
        await service.workers.submit(owner, SubmitAsk(job_id=job.ids[0], image=webp_bytes(), state=ResultState.CSAM))

    flags = soup(await client.get("/admin")).select_one("[data-testid=csam-flags]")
    assert flags is not None and "2 images blocked as CSAM within an hour (account)" in flags.get_text()
    link = flags.select_one("a")
    assert link is not None and link.get_text() == f"dave#{requester.user_id}"
    assert str(link["href"]).endswith(f"/admin/users/{requester.user_id}")
