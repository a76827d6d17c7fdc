"""Bad input on the pages gets the page's error message and a 4xx, never a 500 (issue 14, defect 11)."""

from __future__ import annotations

import httpx
import pytest

from horde.queue.service import SYSTEM, HordeService
from tests.api.test_bad_input import png_header
from tests.web.conftest import csrf_token, log_in, post_form, soup

IMAGE_FORM = {"prompt": "a cat", "width": "64", "height": "64", "steps": "4", "_submitted": "1"}


def assert_page_error(response: httpx.Response, status: int = 400) -> str:
    """The page's text, which says what went wrong (the form's alert, or the error page's message)."""
    assert response.status_code == status, response.text[:500]
    page = soup(response)
    shown = page.find(role="alert") or page.select_one("main .lead")
    assert shown is not None, response.text[:500]
    return shown.get_text(" ", strip=True)


async def logged_in(client: httpx.AsyncClient, service: HordeService, name: str = "alice", kudos: float = 100) -> None:
    created = await service.users.create_user(SYSTEM, name, kudos=kudos)
    await log_in(client, created.api_key)


async def test_a_megabyte_seed_is_refused_on_the_form(client: httpx.AsyncClient) -> None:
    message = assert_page_error(await post_form(client, "/generate", {**IMAGE_FORM, "seed": "9" * 1_000_000}))
    assert "seed" in message


@pytest.mark.parametrize("seed", ["9" * 300, "²", "-5"])
async def test_odd_seeds_are_refused_or_hashed(client: httpx.AsyncClient, seed: str) -> None:
    response = await post_form(client, "/generate", {**IMAGE_FORM, "seed": seed})
    assert response.status_code in (303, 400), response.text[:500]


@pytest.mark.parametrize("field", ["source_image", "source_mask"])
async def test_a_png_header_declaring_20000_by_20000_is_refused_on_upload(
    client: httpx.AsyncClient, field: str
) -> None:
    token = await csrf_token(client)
    files: dict[str, tuple[str, bytes, str]] = {"source_image": ("src.png", png_header(64, 64), "image/png")}
    files[field] = ("x.png", png_header(20_000, 20_000), "image/png")
    response = await client.post("/generate", data={**IMAGE_FORM, "csrf_token": token}, files=files)
    assert field in assert_page_error(response)


async def test_a_gallery_page_number_of_20_digits(client: httpx.AsyncClient, service: HordeService) -> None:
    await logged_in(client, service)
    for page in ("9" * 20, "9" * 5000, "-3", "²", "1e9"):
        response = await client.get(f"/gallery?page={page}")
        assert response.status_code in (200, 400), (page, response.status_code)


@pytest.mark.parametrize("amount", ["inf", "-inf", "nan", "1e308", "1e20", "9" * 5000, "0.0001"])
async def test_odd_transfer_amounts_get_the_form_error(
    client: httpx.AsyncClient, service: HordeService, amount: str
) -> None:
    await logged_in(client, service)
    await service.users.create_user(SYSTEM, "bob")
    response = await post_form(client, "/account/transfer", {"to": "bob", "amount": amount})
    assert response.status_code == 400, response.text[:500]
    assert soup(response).select_one("[data-testid=transfer-error]") is not None
    fragment = await post_form(client, "/account/transfer", {"to": "bob", "amount": amount}, htmx=True)
    assert soup(fragment).select_one("[data-testid=transfer-error]") is not None


@pytest.mark.parametrize("to", ["alias#99999999999999999999", "x#²", "x#" + "9" * 5000])
async def test_a_transfer_to_an_odd_alias(client: httpx.AsyncClient, service: HordeService, to: str) -> None:
    await logged_in(client, service)
    response = await post_form(client, "/account/transfer", {"to": to, "amount": "1"})
    assert response.status_code == 400, response.text[:500]
    assert soup(response).select_one("[data-testid=transfer-error]") is not None


@pytest.mark.parametrize("kudos", ["abc", "1e308", "inf", "9" * 5000, "-7", "1.5"])
async def test_odd_shared_key_budgets_get_the_page_error(
    client: httpx.AsyncClient, service: HordeService, kudos: str
) -> None:
    await logged_in(client, service)
    response = await post_form(client, "/account/shared-keys", {"name": "my key", "kudos": kudos})
    assert "kudos" in assert_page_error(response).lower()
