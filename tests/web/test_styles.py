"""The styles page (list, create for trusted users, delete) and the style select on the generate page."""

from __future__ import annotations

import httpx

from horde.queue.domain.jobs import GenerationKind
from horde.queue.domain.roles import Role
from horde.queue.service import SYSTEM, HordeService
from tests import factories
from tests.web.conftest import log_in, post_form, soup

FORM = {"name": "tiny oil", "kind": "image", "prompt": "{p}, oil ### {np}", "models": "tiny", "steps": "3"}


async def test_trusted_user_creates_a_style_and_others_see_it(client: httpx.AsyncClient, service: HordeService) -> None:
    created = await service.users.create_user(SYSTEM, "stylist", role=Role.TRUSTED)
    page = soup(await client.get("/styles"))
    assert page.find("button", string="Create style") is None  # anonymous: no form
    await log_in(client, created.api_key)
    assert soup(await client.get("/styles")).find("button", string="Create style") is not None
    bad = await post_form(client, "/styles", {**FORM, "prompt": "no placeholders"})
    assert bad.status_code == 400 and soup(bad).find(role="alert") is not None
    response = await post_form(client, "/styles", FORM)
    assert response.status_code == 303
    (style,) = await service.styles.listing(GenerationKind.IMAGE)
    assert (style.name, style.models, style.params) == ("tiny oil", ("tiny",), {"steps": 3})
    rows = soup(await client.get("/styles")).select("[data-testid=style-row]")
    assert len(rows) == 1 and "tiny oil" in rows[0].get_text()
    await post_form(client, f"/styles/{style.id}/delete", {})
    assert await service.styles.listing(GenerationKind.IMAGE) == []


async def test_a_plain_user_cannot_create_a_style(client: httpx.AsyncClient, service: HordeService) -> None:
    created = await service.users.create_user(SYSTEM, "plain")
    await log_in(client, created.api_key)
    response = await post_form(client, "/styles", FORM)
    assert response.status_code == 400
    assert "trusted" in soup(response).find(role="alert").get_text().lower()  # type: ignore[union-attr]


async def test_generate_with_a_style_from_the_select(client: httpx.AsyncClient, service: HordeService) -> None:
    owner = await factories.make_user(service, "stylist", role=Role.TRUSTED)
    style = await service.styles.create(
        owner, GenerationKind.IMAGE, name="tiny oil", prompt="{p}, oil{np}", models=["tiny"]
    )
    form = soup(await client.get(f"/generate?style={style.id}"))
    selected = form.select_one("select#style option[selected]")
    assert selected is not None and selected["value"] == style.id
    data = {"prompt": "a cat", "width": "64", "height": "64", "steps": "4", "_submitted": "1", "style": style.id}
    response = await post_form(client, "/generate", data)
    assert response.status_code == 303, response.text
    status = await service.requests.status(None, response.headers["location"].rsplit("/", 1)[1])
    assert (status.prompt, status.models) == ("a cat, oil", ("tiny",))
    estimate = await post_form(client, "/generate/estimate", {**data, "style": "missing"}, htmx=True)
    assert soup(estimate).select_one("[data-testid=estimate-error]") is not None
