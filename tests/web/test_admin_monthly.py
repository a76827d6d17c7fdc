"""The admin panel sets an account's monthly kudos (issue 16): admins only, shown on the account's page."""

from __future__ import annotations

import httpx

from horde.queue.domain.roles import Role
from horde.queue.service import SYSTEM, HordeService
from tests.factories import make_user
from tests.web.conftest import by_testid, log_in, post_form, soup


async def test_an_admin_sets_monthly_kudos_from_the_users_page(
    client: httpx.AsyncClient, service: HordeService
) -> None:
    carol = await make_user(service, "carol")
    created = await service.users.create_user(SYSTEM, "chief", role=Role.ADMIN)
    await log_in(client, created.api_key)
    page = await client.get(f"/admin/users/{carol.user_id}")
    assert page.status_code == 200 and "Monthly kudos" in page.text

    answer = await post_form(client, f"/admin/users/{carol.user_id}/monthly", {"monthly_kudos": "1000"}, htmx=True)

    panel = soup(answer)
    assert "Monthly kudos set to 1,000." in by_testid(panel, "notice")
    assert by_testid(panel, "monthly-kudos") == "1,000"
    info = await service.users.get(SYSTEM, carol.user_id)
    assert info.monthly_kudos == 1000


async def test_a_moderator_cannot_set_monthly_kudos(client: httpx.AsyncClient, service: HordeService) -> None:
    carol = await make_user(service, "carol")
    created = await service.users.create_user(SYSTEM, "moddy", role=Role.MODERATOR)
    await log_in(client, created.api_key)
    answer = await post_form(client, f"/admin/users/{carol.user_id}/monthly", {"monthly_kudos": "1000"}, htmx=True)
    assert answer.status_code == 403
    info = await service.users.get(SYSTEM, carol.user_id)
    assert info.monthly_kudos == 0
