"""Every /admin route: anonymous visitors are sent to log in, plain users get 403, moderators get the page (or
the action done); admin-only actions answer 403 to moderators."""

from __future__ import annotations

import httpx
import pytest
from starlette.routing import Route

from horde.queue.domain.roles import Role
from horde.queue.service import SYSTEM, HordeService
from horde.webapp.pages import admin
from tests.factories import ask_image, make_user, pop
from tests.web.conftest import log_in, post_form

ADMIN_ROUTES = [r for r in admin.routes() if isinstance(r, Route)]


async def _paths(service: HordeService) -> dict[str, str]:
    """A real value for each path parameter: a user, a worker, a request, a filter, a news item."""
    mod = await make_user(service, "setup-mod", role=Role.MODERATOR)
    target = await make_user(service, "target", kudos=50)
    created = await ask_image(service, target)
    owner = await make_user(service, "owner", ip="198.51.100.77")
    await pop(service, owner, name="w-admin", models=("other",))
    [worker] = await service.workers.listing(mod)
    made = await service.moderation.put_filter(mod, regex="xyzzy", filter_type=20)
    news = await service.modes.add_news(mod, "Hi", "Hello")
    return {
        "user_id": str(target.user_id),
        "worker_id": worker.id,
        "request_id": created.id,
        "filter_id": str(made.id),
        "news_id": str(news.id),
    }


def _url(route: Route, values: dict[str, str]) -> str:
    path = route.path
    for name, value in values.items():
        path = path.replace(f"{{{name}:int}}", value).replace(f"{{{name}}}", value)
    return path


async def _call(client: httpx.AsyncClient, route: Route, url: str, data: dict[str, str]) -> httpx.Response:
    if "POST" in (route.methods or ()):
        return await post_form(client, url, data)
    return await client.get(url)


FORM = {"q": "target", "paused": "on", "maintenance": "", "message": "hello", "days": "1", "regex": "abc"}
FORM |= {"filter_type": "20", "prompt": "hello", "ip": "192.0.2.1", "hours": "1", "mode": "raid", "on": "on"}
FORM |= {"title": "News", "body": "text", "concurrency": "5", "trusted": "on", "amount": "5", "reason": "test"}
FORM |= {"monthly_kudos": "5"}


async def test_anonymous_visitors_are_sent_to_log_in_and_plain_users_get_403(
    client: httpx.AsyncClient, service: HordeService
) -> None:
    """Refused calls change nothing, so one set-up serves every route."""
    values = await _paths(service)
    for route in ADMIN_ROUTES:
        response = await _call(client, route, _url(route, values), FORM)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), route.path
    created = await service.users.create_user(SYSTEM, "plain", kudos=10)
    await log_in(client, created.api_key)
    for route in ADMIN_ROUTES:
        url = _url(route, values)
        response = await _call(client, route, url, FORM)
        assert response.status_code == 403, (url, response.status_code, response.text[:300])
    htmx = await post_form(client, _url(ADMIN_ROUTES[3], values), FORM, htmx=True)
    assert (htmx.status_code, htmx.headers["HX-Retarget"]) == (403, "#flash")


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=lambda r: f"{sorted(r.methods or [])[-1]} {r.path}")
async def test_moderators_get_each_page_and_action(
    client: httpx.AsyncClient, service: HordeService, route: Route
) -> None:
    url = _url(route, await _paths(service))
    created = await service.users.create_user(SYSTEM, "moddy", role=Role.MODERATOR)
    await log_in(client, created.api_key)
    response = await _call(client, route, url, FORM)
    if route.name in ("admin-user-kudos", "admin-user-monthly"):  # admins only
        assert response.status_code == 403
        return
    assert response.status_code == 200, (url, response.status_code, response.text[-1500:])
    assert "<h1>" in response.text


async def test_admin_only_actions_refuse_moderators_and_work_for_admins(
    client: httpx.AsyncClient, service: HordeService
) -> None:
    target = await make_user(service, "target")
    mod = await service.users.create_user(SYSTEM, "moddy", role=Role.MODERATOR)
    await log_in(client, mod.api_key)
    kudos_url = f"/admin/users/{target.user_id}/kudos"
    refused = [
        await post_form(client, kudos_url, {"amount": "100", "reason": "gift"}),
        await post_form(client, "/admin/modes", {"mode": "maintenance", "on": "on"}),
        await post_form(client, f"/admin/users/{target.user_id}/flags", {"had_moderator": "0", "moderator": "on"}),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403]
    assert not (await service.modes.current()).maintenance

    boss = await service.users.create_user(SYSTEM, "boss", role=Role.ADMIN)
    await log_in(client, boss.api_key)
    assert (await post_form(client, kudos_url, {"amount": "100", "reason": "gift"})).status_code == 200
    assert (await post_form(client, "/admin/modes", {"mode": "maintenance", "on": "on"})).status_code == 200
    assert (await service.modes.current()).maintenance
