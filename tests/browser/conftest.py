"""Browser tests: Debian's Chromium (pytest-playwright) against a real uvicorn server and a real tiny worker.

One server and one worker serve the whole session (starting the worker loads torch: seconds). Each test makes its
own users, so tests stay independent. Run with ``pytest -m browser``; Chromium comes from ``apt-get install chromium``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from horde.queue.domain.roles import Role
from horde.queue.service import SYSTEM, HordeService
from horde.queue.store import migrate
from horde.webapp.app import create_app
from horde.webapp.settings import WebSettings
from tests.conftest import _run

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.browser


@dataclasses.dataclass
class LiveHorde:
    url: str
    settings: WebSettings

    def make_user(self, name: str, *, kudos: float = 0.0, role: Role | None = None) -> tuple[str, int]:
        """A user made straight in the database (as ``horde users create`` does): (API key, user id)."""

        async def create() -> tuple[str, int]:
            service = HordeService.open(self.settings)
            try:
                created = await service.users.create_user(SYSTEM, name, kudos=kudos, role=role)
            finally:
                await service.close()
            return created.api_key, created.user.id

        result: tuple[str, int] = _run(create())
        return result


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch Debian's Chromium instead of Playwright's own download (never ``playwright install``)."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"],
    }


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture(scope="session")
def live_horde(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHorde]:
    """uvicorn in a thread on a free loopback port (the socket is bound first: no port race)."""
    data = tmp_path_factory.mktemp("horde-data")
    sock = _free_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = WebSettings(
        _env_file=None,
        data_dir=data,
        secret_key="browser-secret",
        public_url=url,
        rate_limits="off",
        sweep_interval=1.0,
    )
    _run(migrate.upgrade_async(settings.resolved_database_url()))  # Playwright's loop owns this thread
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield LiveHorde(url=url, settings=settings)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="session")
def base_url(live_horde: LiveHorde) -> str:
    """pytest-playwright gives new pages this base URL, so ``page.goto('/generate')`` works."""
    return live_horde.url


@pytest.fixture(scope="session")
def tiny_worker(
    live_horde: LiveHorde, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """The bundled worker with the built-in ``tiny`` models, over HTTP: one process for images, one for texts.

    Two processes because one worker name serves one kind on this server ("taken by a worker of another kind").
    """
    key, _ = live_horde.make_user("worker-owner", role=Role.TRUSTED)
    folder = tmp_path_factory.mktemp("worker")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}
    common = [sys.executable, "-m", "horde.worker", "--url", live_horde.url, "--api-key", key]
    common += ["--poll-interval", "0.2", "--no-progress"]
    procs: list[subprocess.Popen[bytes]] = []
    logs: list[Path] = []
    try:
        for name, option in (("tiny-images", "--model"), ("tiny-texts", "--text-model")):
            log = folder / f"{name}.log"
            with log.open("wb") as out:
                argv = [*common, "--name", f"browser-{name}", option, "tiny"]
                procs.append(subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=folder, env=env))
            logs.append(log)
        _wait_for_worker(live_horde.url, procs, logs)
        yield procs
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
            if proc.poll() is None:
                proc.kill()


def _wait_for_worker(url: str, procs: list[subprocess.Popen[bytes]], logs: list[Path]) -> None:
    """Until the worker serves both tiny models (the model list is a snapshot a few seconds old)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for proc, log in zip(procs, logs, strict=True):
            if proc.poll() is not None:
                raise RuntimeError(f"a worker exited: {log.read_text()[-3000:]}")
        with urllib.request.urlopen(f"{url}/models", timeout=5) as response:  # noqa: S310 - our loopback server
            body = response.read()
            if b"/generate?model=tiny" in body and b"/text?model=tiny" in body:
                return
        time.sleep(0.3)
    raise RuntimeError(f"the workers did not check in: {[log.read_text()[-2000:] for log in logs]}")
