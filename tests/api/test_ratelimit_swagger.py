"""Rate limits (429 + Retry-After) and the Swagger document."""

from __future__ import annotations

import httpx
import pytest
from asgi_lifespan import LifespanManager

from horde.queue.service import HordeService
from horde.webapp import ratelimit
from horde.webapp.app import create_app
from horde.webapp.settings import WebSettings
from tests.api.conftest import IMAGE, h


async def test_check_is_limited_per_request_id(web_settings: WebSettings, api_service: HordeService) -> None:
    settings = web_settings.model_copy(update={"rate_limits": "check=3/60"})
    app = create_app(settings, service=api_service)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=("198.51.100.9", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            rid = (await client.post("/api/v2/generate/async", json=IMAGE, headers=h("0000000000"))).json()["id"]
            codes = [(await client.get(f"/api/v2/generate/check/{rid}")).status_code for _ in range(4)]
            assert codes == [200, 200, 200, 429]
            r = await client.get(f"/api/v2/generate/check/{rid}")
            assert r.json()["rc"] == "RateLimited" and 1 <= int(r.headers["Retry-After"]) <= 60
            other = "00000000-0000-4000-8000-000000000000"
            assert (await client.get(f"/api/v2/generate/check/{other}")).status_code == 404


def test_rate_limit_settings() -> None:
    assert ratelimit.parse("off") is None
    assert ratelimit.parse("on") == ratelimit.DEFAULT_RULES
    rules = ratelimit.parse("pop=5/2")
    assert rules is not None and rules["pop"].per_ip == ratelimit.Limit(5, 2)
    with pytest.raises(ValueError, match="bad rate limit"):
        ratelimit.parse("nonsense=1")


async def test_swagger_document(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/api/swagger.json")).json()
    assert doc["swagger"] == "2.0" and doc["basePath"] == "/api" and doc["info"]["title"] == "AI Horde"
    assert "ModelGenerationInputStable" in doc["definitions"]
    assert "/v2/generate/async" in doc["paths"] and "/v2/generate/text/pop" in doc["paths"]
    text = str(doc)
    assert "anyOf" not in text and "$defs" not in text
    page = await client.get("/api/")
    assert page.status_code == 200 and "/v2/generate/async" in page.text


def test_the_documented_samplers_are_the_engine_samplers() -> None:
    """The API's sampler enum (in the Swagger document) and the engine's rule must not drift apart."""
    from typing import get_args

    from horde.queue.domain import params
    from horde.webapp.api.schemas import generate as schemas

    assert set(get_args(schemas.SAMPLERS)) == params.KNOWN_SAMPLERS
