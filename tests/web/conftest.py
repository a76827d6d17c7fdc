"""Web-page fixtures: the whole app (pages and API) over ASGI, a cookie-keeping client, logged-in helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from bs4 import BeautifulSoup
from starlette.applications import Starlette

from horde.queue.service import HordeService
from horde.webapp.app import create_app
from horde.webapp.settings import WebSettings

BASE_URL = "http://testserver"


@pytest.fixture
async def app(web_settings: WebSettings, service: HordeService) -> AsyncIterator[Starlette]:
    application = create_app(web_settings, service=service)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield http


def soup(response: httpx.Response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def text_of(page: BeautifulSoup, selector: str) -> str:
    element = page.select_one(selector)
    assert element is not None, f"nothing matches {selector}"
    return element.get_text()


def by_testid(page: BeautifulSoup, name: str) -> str:
    """The text of the element marked ``data-testid=name`` (it must be there)."""
    element = page.select_one(f"[data-testid={name}]")
    assert element is not None, f"no {name}"
    return element.get_text()


async def csrf_token(client: httpx.AsyncClient) -> str:
    """The token the browser would echo: from the hidden field of a page's form."""
    page = await client.get("/login")
    field = soup(page).find("input", attrs={"name": "csrf_token"})
    assert field is not None
    return str(field["value"])


async def post_form(
    client: httpx.AsyncClient, url: str, data: dict[str, str], *, htmx: bool = False, **kwargs: object
) -> httpx.Response:
    token = await csrf_token(client)
    headers = {"HX-Request": "true", "X-CSRF-Token": token} if htmx else {}
    return await client.post(url, data={**data, "csrf_token": token}, headers=headers, **kwargs)  # type: ignore[arg-type]


async def log_in(client: httpx.AsyncClient, api_key: str) -> None:
    response = await post_form(client, "/login", {"api_key": api_key})
    assert response.status_code == 303, response.text


async def register(client: httpx.AsyncClient, name: str = "bob") -> str:
    """Register through the page (which logs the client in); returns the API key shown once."""
    response = await post_form(client, "/register", {"username": name})
    assert response.status_code == 200, response.text
    field = soup(response).select_one("[data-testid=api-key]")
    assert field is not None
    return str(field["value"])
