"""Logout and API-key rotation end every session, and rotation ends the old key, at once (issue 14, defect 7: a
cookie replayed after logout still worked for 30 days, and no page let a user change their API key)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from horde.queue.service import SYSTEM, HordeService
from tests.web.conftest import BASE_URL, csrf_token, log_in, post_form, soup


@pytest.fixture
async def other_browser(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http:
        yield http


async def logged_in(service: HordeService, *clients: httpx.AsyncClient) -> str:
    created = await service.users.create_user(SYSTEM, "alice", kudos=10)
    for client in clients:
        await log_in(client, created.api_key)
    return created.api_key


async def is_logged_in(client: httpx.AsyncClient) -> bool:
    response = await client.get("/account")
    return response.status_code == 200


async def test_a_cookie_replayed_after_logout_is_no_session(
    client: httpx.AsyncClient, other_browser: httpx.AsyncClient, service: HordeService
) -> None:
    await logged_in(service, client)
    stolen = client.cookies["horde_session"]
    assert (await post_form(client, "/logout", {})).status_code == 303
    other_browser.cookies.set("horde_session", stolen)
    assert not await is_logged_in(other_browser)


async def test_logout_ends_every_session_of_the_user(
    client: httpx.AsyncClient, other_browser: httpx.AsyncClient, service: HordeService
) -> None:
    key = await logged_in(service, client, other_browser)
    assert await is_logged_in(other_browser)
    await post_form(client, "/logout", {})
    assert not await is_logged_in(other_browser)
    await log_in(other_browser, key)  # the key itself still works: logging in again starts a new session
    assert await is_logged_in(other_browser)


async def test_rotating_the_key_ends_the_old_key_and_other_sessions(
    client: httpx.AsyncClient, other_browser: httpx.AsyncClient, service: HordeService
) -> None:
    old_key = await logged_in(service, client, other_browser)
    account = soup(await client.get("/account"))
    assert any(str(form.get("action", "")).endswith("/account/api-key") for form in account.find_all("form"))
    response = await post_form(client, "/account/api-key", {"confirm": "on"})
    assert response.status_code == 200, response.text[:500]
    assert response.headers["cache-control"] == "no-store"
    field = soup(response).select_one("[data-testid=new-api-key]")
    assert field is not None
    new_key = str(field["value"])
    assert new_key != old_key
    assert await is_logged_in(client), "the browser that rotated stays logged in"
    assert new_key not in (await client.get("/account")).text, "the new key is shown once"
    assert not await is_logged_in(other_browser)
    api = await client.get("/api/v2/find_user", headers={"apikey": old_key})
    assert api.status_code == 401 and api.json()["rc"]
    assert (await post_form(other_browser, "/login", {"api_key": old_key})).status_code == 401
    assert (await client.get("/api/v2/find_user", headers={"apikey": new_key})).status_code == 200


async def test_rotation_asks_for_confirmation_and_the_csrf_token(
    client: httpx.AsyncClient, service: HordeService
) -> None:
    key = await logged_in(service, client)
    unconfirmed = await post_form(client, "/account/api-key", {})
    assert unconfirmed.status_code == 400
    assert "confirm" in soup(unconfirmed).get_text().lower()
    forged = await client.post("/account/api-key", data={"confirm": "on"})
    assert forged.status_code == 403
    assert await service.users.authenticate(key), "the key did not change"
    token = await csrf_token(client)
    async with httpx.AsyncClient(transport=client._transport, base_url=BASE_URL) as anonymous:
        refused = await anonymous.post("/account/api-key", data={"confirm": "on", "csrf_token": token})
        assert refused.status_code in (303, 403)
