"""Rate limits in Redis (``HORDE_REDIS_URL``) hold across processes: two app instances, as two nodes, share them."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from horde.queue.service import HordeService
from horde.webapp.app import create_app
from tests.conftest import make_web_settings

REDIS_URL = os.environ.get("HORDE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CHECK = "/api/v2/generate/check/00000000-0000-0000-0000-000000000001"

Node = Callable[..., Any]


@pytest.fixture
def client_ip() -> str:
    """An address of its own for each test: windows in Redis outlive a test run."""
    return f"2001:db8::{uuid.uuid4().hex[:4]}"


@pytest.fixture
async def nodes(tmp_path: Path, db_url: str, client_ip: str) -> AsyncIterator[Node]:
    """Start app instances on one database, each over its own service, as separate nodes would be."""
    async with AsyncExitStack() as stack:

        @asynccontextmanager
        async def one(name: str, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
            settings = make_web_settings(tmp_path / name, db_url, rate_limits="check=3/60", **overrides)
            service = HordeService.open(settings)
            try:
                async with LifespanManager(create_app(settings, service=service)) as manager:
                    transport = httpx.ASGITransport(app=manager.app, client=(client_ip, 1234))
                    async with httpx.AsyncClient(transport=transport, base_url="http://horde.test") as client:
                        yield client
            finally:
                await service.close()

        async def start(name: str, **overrides: Any) -> httpx.AsyncClient:
            return await stack.enter_async_context(one(name, **overrides))

        yield start


@pytest.mark.redis
async def test_two_nodes_sharing_redis_share_each_window(nodes: Node) -> None:
    node_a = await nodes("a", redis_url=REDIS_URL)
    node_b = await nodes("b", redis_url=REDIS_URL)
    assert [(await node.get(CHECK)).status_code for node in (node_a, node_b, node_a)] == [404, 404, 404]
    refused = await node_b.get(CHECK)  # the fourth in the window, though node b has seen only one
    assert refused.status_code == 429
    assert refused.json()["rc"] == "RateLimited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert (await node_a.get(CHECK)).status_code == 429


@pytest.mark.redis
async def test_other_callers_keep_their_own_windows(nodes: Node, client_ip: str) -> None:
    node = await nodes("a", redis_url=REDIS_URL)
    for _ in range(3):
        assert (await node.get(CHECK)).status_code == 404
    assert (await node.get(CHECK)).status_code == 429
    other_request = CHECK.replace("0001", "0002")  # check is limited per request id
    assert (await node.get(other_request)).status_code == 404


async def test_without_redis_each_node_counts_alone(nodes: Node) -> None:
    """The default, in memory: what the Redis test above fixes (two nodes let six through instead of three)."""
    node_a, node_b = await nodes("a"), await nodes("b")
    answers = [(await node.get(CHECK)).status_code for node in (node_a, node_b) * 3]
    assert answers == [404] * 6
    assert (await node_a.get(CHECK)).status_code == 429


async def test_an_unreachable_redis_lets_requests_through(nodes: Node, caplog: pytest.LogCaptureFixture) -> None:
    node = await nodes("a", redis_url="redis://127.0.0.1:9/0")  # nothing listens on port 9
    assert [(await node.get(CHECK)).status_code for _ in range(5)] == [404] * 5
    assert [r.message for r in caplog.records].count("rate_limits_unavailable") == 1
