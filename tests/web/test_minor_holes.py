"""Issue 14, defect 12: team floods, dust transfers, images made private, and the login limit's Retry-After."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from horde.queue.domain.roles import Role
from horde.queue.service import SYSTEM, HordeService
from horde.webapp.app import create_app
from tests import factories
from tests.conftest import make_web_settings
from tests.web.conftest import BASE_URL, log_in, post_form, soup


@pytest.fixture
async def limited(tmp_path: Path, db_url: str, service: HordeService) -> AsyncIterator[httpx.AsyncClient]:
    """The app with small limits on logins, registrations and creations."""
    settings = make_web_settings(tmp_path, db_url, rate_limits="login=3/60,register=2/60,create=3/3600")
    app = create_app(settings, service=service)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, client=("198.51.100.20", 1))
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
            yield http


async def test_team_creation_is_rate_limited(limited: httpx.AsyncClient, service: HordeService) -> None:
    key = (await service.users.create_user(SYSTEM, "founder", role=Role.TRUSTED)).api_key
    codes = []
    for n in range(5):
        response = await limited.post("/api/v2/teams", json={"name": f"team-{n}"}, headers={"apikey": key})
        codes.append(response.status_code)
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    refused = await limited.post("/api/v2/teams", json={"name": "one-more"}, headers={"apikey": key})
    assert refused.json()["rc"] == "RateLimited" and int(refused.headers["Retry-After"]) >= 1


async def test_style_creation_is_rate_limited(limited: httpx.AsyncClient, service: HordeService) -> None:
    key = (await service.users.create_user(SYSTEM, "stylist", role=Role.TRUSTED)).api_key
    codes = []
    for n in range(4):
        body = {"name": f"style-{n}", "prompt": "{p} in oil###{np}"}
        codes.append((await limited.post("/api/v2/styles/image", json=body, headers={"apikey": key})).status_code)
    assert codes[3] == 429 and 429 not in codes[:3]


async def test_the_login_limit_answers_429_with_retry_after(limited: httpx.AsyncClient) -> None:
    answers = [await post_form(limited, "/login", {"api_key": "wrong-key-000"}) for _ in range(4)]
    assert [a.status_code for a in answers[:3]] == [401, 401, 401]
    assert answers[3].status_code == 429
    assert 1 <= int(answers[3].headers["Retry-After"]) <= 60
    assert "wait" in soup(answers[3]).find(role="alert").get_text()  # type: ignore[union-attr]


async def test_the_register_limit_answers_429_with_retry_after(limited: httpx.AsyncClient) -> None:
    answers = [await post_form(limited, "/register", {"username": f"newbie{n}"}) for n in range(3)]
    assert answers[2].status_code == 429 and int(answers[2].headers["Retry-After"]) >= 1


async def test_a_dust_transfer_is_refused_with_a_clear_error(service: HordeService) -> None:
    from horde.queue import errors

    giver = await factories.make_user(service, "giver", kudos=100)
    await factories.make_user(service, "taker")
    before = (await service.users.me(giver)).kudos
    with pytest.raises(errors.KudosValidationError, match=r"0\.001"):
        await service.kudos.transfer(giver, "taker", 0.0001)
    assert (await service.users.me(giver)).kudos == before


async def test_a_dust_transfer_through_the_api(client: httpx.AsyncClient, service: HordeService) -> None:
    key = (await service.users.create_user(SYSTEM, "giver", kudos=100)).api_key
    await service.users.create_user(SYSTEM, "taker")
    response = await client.post(
        "/api/v2/kudos/transfer", json={"username": "taker", "amount": 0.0001}, headers={"apikey": key}
    )
    assert response.status_code == 400 and "0.001" in response.json()["message"]


async def test_an_image_made_private_is_not_left_in_shared_caches(
    client: httpx.AsyncClient, service: HordeService
) -> None:
    created = await service.users.create_user(SYSTEM, "artist")
    owner = await service.users.authenticate(created.api_key)
    _, image_id = await factories.finished_image(service, owner)
    await service.gallery.mark(owner, image_id, public=True)
    async with httpx.AsyncClient(transport=client._transport, base_url=BASE_URL) as stranger:
        shown = await stranger.get(f"/images/{image_id}/file")
        assert shown.status_code == 200
        cache = shown.headers["cache-control"]
        assert "public" in cache and "no-cache" in cache, "a shared cache asks again before each use"
        etag = shown.headers["etag"]
        again = await stranger.get(f"/images/{image_id}/file", headers={"If-None-Match": etag})
        assert again.status_code == 304
        await service.gallery.mark(owner, image_id, public=False)
        revalidated = await stranger.get(f"/images/{image_id}/file", headers={"If-None-Match": etag})
        assert revalidated.status_code == 404
    await log_in(client, created.api_key)
    mine = await client.get(f"/images/{image_id}/file")
    assert mine.status_code == 200 and "public" not in mine.headers["cache-control"]
    assert "private" in mine.headers["cache-control"]
