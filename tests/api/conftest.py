"""API fixtures: the real app over the real service (SQLite per test), driven in-process through httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from horde.queue import clock as clock_mod
from horde.queue.domain.roles import Role
from horde.queue.service import SYSTEM, HordeService
from horde.webapp.app import create_app
from horde.webapp.settings import WebSettings
from tests.conftest import make_web_settings


@pytest.fixture
def web_settings(tmp_path: Path, db_url: str) -> WebSettings:
    """Overrides the root ``web_settings``: no rate limits (tests of them set their own), a public URL."""
    return make_web_settings(tmp_path, db_url, rate_limits="off", public_url="http://horde.test")


@pytest.fixture
async def api_service(web_settings: WebSettings, frozen_clock: clock_mod.FrozenClock) -> AsyncIterator[HordeService]:
    svc = HordeService.open(web_settings, clock=frozen_clock)
    yield svc
    await svc.close()


@pytest.fixture
async def client(web_settings: WebSettings, api_service: HordeService) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(web_settings, service=api_service)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=("203.0.113.7", 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://horde.test") as http_client:
            yield http_client


class Keys:
    def __init__(self, service: HordeService) -> None:
        self.service = service

    async def user(self, name: str, *, kudos: float = 0.0, role: Role | None = None) -> str:
        created = await self.service.users.create_user(SYSTEM, name, kudos=kudos, role=role)
        return created.api_key


@pytest.fixture
def keys(api_service: HordeService) -> Keys:
    return Keys(api_service)


def h(key: str, **extra: str) -> dict[str, str]:
    return {"apikey": key, **extra}


IMAGE: dict[str, Any] = {"prompt": "a red cat", "models": ["tiny"], "params": {"width": 64, "height": 64, "steps": 4}}
POP: dict[str, Any] = {"name": "w1", "models": ["tiny"], "max_pixels": 4096 * 4}
