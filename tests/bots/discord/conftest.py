"""One live Horde (uvicorn in a thread, SQLite), one tiny worker process, one fake Discord and the real bot on its
own thread and event loop, shared by this folder's tests. Each test uses its own Discord users and guilds."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from horde.bots.discord.runner import BotThread
from horde.bots.discord.settings import DiscordSettings
from horde.queue.domain.roles import Role
from horde.queue.service import SYSTEM, HordeService
from horde.queue.store import migrate
from horde.webapp.app import create_app
from horde.webapp.settings import WebSettings
from tests.bots.discord.fake_discord import FakeDiscord, User
from tests.browser.conftest import _free_socket
from tests.conftest import _run

MANAGE_GUILD = 1 << 5
_ids = itertools.count(700_000)


@dataclasses.dataclass
class Live:
    settings: WebSettings
    url: str
    fake: FakeDiscord
    worker: subprocess.Popen[bytes]
    worker_log: Path

    def user(self, name: str = "someone", *, manager: bool = False) -> User:
        return User(next(_ids), name, permissions=MANAGE_GUILD if manager else 0)

    def guild(self) -> int:
        return next(_ids)

    def call(self, func: Any) -> Any:
        """Run ``func(service)`` against the same database, with a service of its own."""

        async def run() -> Any:
            service = HordeService.open(self.settings)
            try:
                return await func(service)
            finally:
                await service.close()

        return _run(run())

    def make_user(self, name: str, *, kudos: float = 0.0, role: Role = Role.USER) -> str:
        async def create(service: HordeService) -> str:
            created = await service.users.create_user(SYSTEM, name, kudos=kudos, role=role)
            return created.api_key

        key: str = self.call(create)
        return key

    def wait_for_worker(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.worker.poll() is not None:
                raise RuntimeError(f"the worker exited: {self.worker_log.read_text()[-3000:]}")
            rows = self.call(lambda s: s.stats.models("image"))
            if any(r.name == "tiny" and r.workers for r in rows):
                return
            time.sleep(0.3)
        raise RuntimeError(f"the worker did not check in: {self.worker_log.read_text()[-3000:]}")


@pytest.fixture(scope="package")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    data = tmp_path_factory.mktemp("horde-discord")
    sock = _free_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = WebSettings(
        _env_file=None,
        data_dir=data,
        secret_key="discord-secret",
        public_url=url,
        rate_limits="off",
        sweep_interval=1.0,
        queue_position_cache_seconds=0,
    )
    _run(migrate.upgrade_async(settings.resolved_database_url()))
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    fake = FakeDiscord().start()
    live = Live(settings, url, fake, worker=None, worker_log=data / "worker.log")  # type: ignore[arg-type]
    owner_key = live.make_user("worker-owner", role=Role.TRUSTED)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}
    argv = [sys.executable, "-m", "horde.worker", "--url", url, "--api-key", owner_key, "--name", "discord-tiny"]
    argv += ["--model", "tiny", "--max-pixels", "4096", "--poll-interval", "0.2", "--no-progress"]
    with live.worker_log.open("wb") as out:
        live.worker = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=data, env=env)
    bot = BotThread(
        settings,
        DiscordSettings(_env_file=None, token="test-token", api_url=fake.api_url, progress_interval=0.3),
    )
    bot.start()
    try:
        if not bot.ready.wait(30) or bot.error is not None:
            raise RuntimeError(f"the bot did not start: {bot.error!r}")
        fake.wait_for(lambda: fake.commands, what="the commands to be synced")
        yield live
    finally:
        bot.stop()
        live.worker.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            live.worker.wait(timeout=10)
        if live.worker.poll() is None:
            live.worker.kill()
        fake.stop()
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def fake(live: Live) -> FakeDiscord:
    return live.fake


@pytest.fixture(scope="package")
def worker_ready(live: Live) -> Live:
    live.wait_for_worker()
    return live
