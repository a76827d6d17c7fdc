"""The generate form's defaults follow what the online workers can serve, so a first press of Generate is served."""

from __future__ import annotations

import httpx

from horde.queue.service import HordeService
from tests import factories
from tests.web.conftest import soup


def _form_defaults(response: httpx.Response) -> tuple[str, str, str]:
    page = soup(response)
    selected = page.select_one("#model option[selected]")
    width, height = page.select_one("input[name=width]"), page.select_one("input[name=height]")
    assert selected is not None and width is not None and height is not None
    return str(selected["value"]), str(width["value"]), str(height["value"])


async def test_a_64_pixel_worker_makes_the_form_default_to_its_model_and_a_size_it_takes(
    client: httpx.AsyncClient, service: HordeService
) -> None:
    owner = await factories.make_user(service, "owner")
    await factories.pop(service, owner, "tiny-64", models=("tiny",), max_pixels=64 * 64)
    assert _form_defaults(await client.get("/generate")) == ("tiny", "64", "64")


async def test_the_default_size_stays_when_a_worker_takes_it(client: httpx.AsyncClient, service: HordeService) -> None:
    owner = await factories.make_user(service, "owner")
    await factories.pop(service, owner, "big", models=("sd15",), max_pixels=1024 * 1024)
    assert _form_defaults(await client.get("/generate")) == ("sd15", "512", "512")


async def test_a_size_in_the_link_is_kept(client: httpx.AsyncClient, service: HordeService) -> None:
    owner = await factories.make_user(service, "owner")
    await factories.pop(service, owner, "tiny-64", models=("tiny",), max_pixels=64 * 64)
    response = await client.get("/generate?width=512&height=768")
    assert _form_defaults(response) == ("tiny", "512", "768")


async def test_with_no_worker_online_the_form_keeps_its_plain_defaults(client: httpx.AsyncClient) -> None:
    assert _form_defaults(await client.get("/generate")) == ("", "512", "512")
