"""A PostgreSQL server with no connection to spare (``max_connections`` reached by several nodes, say) is a busy
horde, not a crash: the engine raises ``ServiceBusyError`` and the API answers 503 with Retry-After, in AI Horde's
error shape, so clients and workers try again. The soak found these as 500s (bench/soak.py, 2 nodes, 250 clients).

A role with a connection limit stands in for a full server: PostgreSQL refuses both with SQLSTATE 53300."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager

from horde.queue import errors
from horde.queue.store.engine import Database
from horde.webapp.app import create_app
from tests.conftest import _pg_admin, make_web_settings

pytestmark = pytest.mark.pg


@pytest.fixture
async def role(pg_url: str) -> AsyncIterator[str]:
    """A role of its own (not a superuser: PostgreSQL limits only the others) that may use ``pg_url``'s tables."""
    name = f"horde_full_{uuid.uuid4().hex[:8]}"
    await _pg_admin(f'CREATE ROLE "{name}" LOGIN')
    await in_database(
        pg_url, *(f'GRANT ALL ON {what} IN SCHEMA public TO "{name}"' for what in ("ALL TABLES", "ALL SEQUENCES"))
    )
    yield name
    await _pg_admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{name}'")  # noqa: S608 - our own name
    await in_database(pg_url, f'DROP OWNED BY "{name}"')  # its grants
    await _pg_admin(f'DROP ROLE "{name}"')


async def in_database(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql://", "postgres://"))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def as_role(pg_url: str, role: str) -> str:
    scheme, rest = pg_url.split("://", 1)
    return f"{scheme}://{role}@{rest.split('@', 1)[1]}"


async def full(role: str) -> None:
    """PostgreSQL refuses every new connection of the role, as a server at ``max_connections`` does."""
    await _pg_admin(f'ALTER ROLE "{role}" CONNECTION LIMIT 0')


async def test_no_connection_to_be_had_is_service_busy(pg_url: str, role: str) -> None:
    await full(role)
    db = Database(as_role(pg_url, role), pool_size=1)
    try:
        with pytest.raises(errors.ServiceBusyError):
            async with db.read():
                pass
        with pytest.raises(errors.ServiceBusyError):
            async with db.write():
                pass
    finally:
        await db.dispose()


async def test_the_api_answers_503_with_retry_after(pg_url: str, role: str, tmp_path: Path) -> None:
    app = create_app(make_web_settings(tmp_path, as_role(pg_url, role), rate_limits="off"))
    async with LifespanManager(app) as manager:
        await full(role)
        await app.state.service.ctx.db.writer.dispose()  # the connections it keeps go: it must open new ones
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://horde.test") as client:
            response = await client.get("/api/v2/find_user", headers={"apikey": "0123456789abcdef"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["rc"] == "ServiceBusy"
    assert "try again" in response.json()["message"]
