"""Register, log in with the API key, log out; the signed session and CSRF cookies; CSRF rejection."""

from __future__ import annotations

import httpx

from horde.queue.service import HordeService
from tests.web.conftest import csrf_token, log_in, post_form, register, soup


async def test_register_shows_the_key_once_and_logs_in(client: httpx.AsyncClient, service: HordeService) -> None:
    key = await register(client, "newcomer")
    assert len(key) == 22
    actor = await service.users.authenticate(key)
    assert actor.username == "newcomer"
    account = await client.get("/account")
    assert account.status_code == 200
    assert key not in account.text, "the key is shown only once"
    assert soup(account).find("h1").get_text() == f"newcomer#{actor.user_id}"  # type: ignore[union-attr]


async def test_session_cookie_is_signed_httponly_and_samesite(client: httpx.AsyncClient) -> None:
    token = await csrf_token(client)
    response = await client.post("/register", data={"username": "cookie", "csrf_token": token})
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("horde_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    client.cookies.set("horde_session", client.cookies["horde_session"][:-2] + "xx")
    assert (await client.get("/account")).status_code == 303, "a tampered cookie is no session"


async def test_login_with_a_bad_key_says_so(client: httpx.AsyncClient) -> None:
    response = await post_form(client, "/login", {"api_key": "not-a-real-key-at-all"})
    assert response.status_code == 401
    assert "not valid" in soup(response).find(role="alert").get_text()  # type: ignore[union-attr]


async def test_login_goes_back_to_where_it_was_asked_and_logout_ends_it(
    client: httpx.AsyncClient, service: HordeService
) -> None:
    created = await service.users.create_user(service.users.anonymous(), "returning")
    response = await post_form(client, "/login", {"api_key": created.api_key, "next": "/gallery"})
    assert response.status_code == 303
    assert response.headers["location"] == "/gallery"
    evil = await post_form(client, "/login", {"api_key": created.api_key, "next": "//evil.example/"})
    assert evil.headers["location"] == "/"
    assert (await client.get("/gallery")).status_code == 200
    out = await post_form(client, "/logout", {})
    assert out.status_code == 303
    assert (await client.get("/gallery")).status_code == 303


async def test_unsafe_requests_without_the_csrf_token_are_refused(
    client: httpx.AsyncClient, service: HordeService
) -> None:
    created = await service.users.create_user(service.users.anonymous(), "victim")
    await log_in(client, created.api_key)
    token = await csrf_token(client)
    no_token = await client.post("/account/transfer", data={"to": "x", "amount": "1"})
    wrong = await client.post("/account/transfer", data={"to": "x", "amount": "1", "csrf_token": token[:-1] + "A"})
    wrong_header = await client.post("/logout", headers={"X-CSRF-Token": "forged"})
    for response in (no_token, wrong, wrong_header):
        assert response.status_code == 403
        assert "Reload the page" in response.text
    fresh = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with fresh:
        forged = await fresh.post("/register", data={"username": "x", "csrf_token": token})
        assert forged.status_code == 403, "a token is only good with its own cookie"
    ok = await client.post("/logout", headers={"X-CSRF-Token": token})
    assert ok.status_code == 303


async def test_the_api_is_not_subject_to_csrf(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v2/generate/async", json={"prompt": "x"})
    assert response.status_code != 403 or "Reload the page" not in response.text


async def test_one_address_cannot_register_endlessly(client: httpx.AsyncClient, service: HordeService) -> None:
    for i in range(5):
        await register(client, f"spare{i}")
    response = await post_form(client, "/register", {"username": "one-too-many"})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    assert "per 3600 seconds" in soup(response).get_text()
    users = await service.users.listing(await service.users.authenticate(None), page=1, sort="id")
    assert "one-too-many" not in [u.username for u in users]


async def test_key_guessing_is_slowed_down(client: httpx.AsyncClient) -> None:
    for _ in range(20):
        assert (await post_form(client, "/login", {"api_key": "wrong-key-wrong-key-xx"})).status_code == 401
    response = await post_form(client, "/login", {"api_key": "wrong-key-wrong-key-xx"})
    assert "Too many attempts" in soup(response).get_text()
