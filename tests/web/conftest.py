"""Web-page fixtures: the whole app (pages and API) over ASGI, a cookie-keeping client, logged-in helpers."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from bs4 import BeautifulSoup
from PIL import Image
from starlette.applications import Starlette

from horde.queue import dto
from horde.queue.domain.roles import Role
from horde.queue.service import HordeService, SubmitAsk
from horde.webapp.app import create_app
from horde.webapp.settings import WebSettings
from tests import factories

BASE_URL = "http://testserver"


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per session; each test gets a copy (Alembic per test costs ~0.6 s)."""
    path = tmp_path_factory.mktemp("web-template") / "horde.db"
    # in a process of its own: a test's event loop may be running in this thread, and Alembic in a helper thread
    # trips CPython 3.11's "AST constructor recursion depth mismatch"
    code = f"from horde.queue.store import migrate; migrate.upgrade({f'sqlite:///{path}'!r})"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=path.parent)
    return path


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite: Path) -> str:
    """Overrides the root ``db_url``: a fresh copy of the migrated file instead of migrating again."""
    if request.param == "pg":
        return str(request.getfixturevalue("pg_url"))
    path = tmp_path / "horde.db"
    shutil.copyfile(migrated_sqlite, path)
    return f"sqlite:///{path}"


@pytest.fixture
def web_settings(tmp_path: Path, db_url: str) -> WebSettings:
    return WebSettings(
        _env_file=None,
        data_dir=tmp_path / "data",
        database_url=db_url,
        secret_key="test-secret",
        run_sweeps=False,
    )


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


def webp_bytes(size: int = 64) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (size, size), (30, 120, 200)).save(buf, "WEBP")
    return buf.getvalue()


async def finished_image(service: HordeService, owner: dto.Actor, prompt: str = "a blue square") -> tuple[str, str]:
    """A request of ``owner`` with one image a worker made: (request id, image id)."""
    created = await factories.ask_image(service, owner, prompt)
    worker_owner = await factories.make_user(service, f"worker-owner-{created.id[:6]}", role=Role.TRUSTED)
    job = await factories.pop(service, worker_owner, name=f"w-{created.id[:6]}")
    assert job.found
    await service.workers.submit(worker_owner, SubmitAsk(job_id=job.ids[0], image=webp_bytes()))
    return created.id, job.ids[0]


async def register(client: httpx.AsyncClient, name: str = "bob") -> str:
    """Register through the page (which logs the client in); returns the API key shown once."""
    response = await post_form(client, "/register", {"username": name})
    assert response.status_code == 200, response.text
    field = soup(response).select_one("[data-testid=api-key]")
    assert field is not None
    return str(field["value"])
