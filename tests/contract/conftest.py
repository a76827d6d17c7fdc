"""A real Horde server (uvicorn, SQLite) on a free loopback port, with a requester and a worker owner."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from horde.queue.service import SYSTEM, HordeService
from horde.queue.store import migrate
from horde.webapp.app import create_app
from horde.webapp.settings import WebSettings
from tests.conftest import _run


@dataclasses.dataclass(frozen=True)
class LiveServer:
    url: str  #: e.g. http://127.0.0.1:PORT (no trailing slash)
    requester_key: str
    worker_key: str
    moderator_key: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _accounts(settings: WebSettings) -> tuple[str, str, str]:
    from horde.queue.domain.roles import Role

    service = HordeService.open(settings)
    try:
        await service.users.bootstrap()
        requester = await service.users.create_user(SYSTEM, "requester", kudos=1000)
        worker = await service.users.create_user(SYSTEM, "worker_owner")
        moderator = await service.users.create_user(SYSTEM, "moderator", role=Role.MODERATOR)
    finally:
        await service.close()
    return requester.api_key, worker.api_key, moderator.api_key


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder: Path = tmp_path_factory.mktemp("live")
    url = f"sqlite:///{folder / 'horde.db'}"
    migrate.upgrade(url)
    port = free_port()
    settings = WebSettings(
        _env_file=None,
        data_dir=folder / "data",
        database_url=url,
        secret_key="live-secret",
        run_sweeps=False,
        rate_limits="off",
        public_url=f"http://127.0.0.1:{port}",
    )
    requester, worker, moderator = _run(_accounts(settings))
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    yield LiveServer(f"http://127.0.0.1:{port}", requester, worker, moderator)
    server.should_exit = True
    thread.join(timeout=10)
