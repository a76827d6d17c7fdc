"""A live Horde for the bots' tests: uvicorn in a thread on SQLite, and one tiny worker process serving it."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import uvicorn

from horde.queue.domain.roles import Role
from horde.queue.store import migrate
from horde.webapp.app import create_app
from horde.webapp.settings import WebSettings
from tests.browser.conftest import _free_socket
from tests.conftest import _run
from tests.live_service import ServiceCalls


@dataclasses.dataclass
class LiveHorde(ServiceCalls):
    settings: WebSettings
    url: str
    worker: subprocess.Popen[bytes]
    worker_log: Path

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


@contextlib.contextmanager
def live_horde(data: Path, *, worker_name: str, secret: str) -> Iterator[LiveHorde]:
    """A Horde on SQLite in ``data`` with a tiny worker (64×64 at most) that polls every 0.2 s."""
    sock = _free_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = WebSettings(
        _env_file=None,
        data_dir=data,
        secret_key=secret,
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
    live = LiveHorde(settings, url, worker=None, worker_log=data / "worker.log")  # type: ignore[arg-type]
    owner_key = live.make_user("worker-owner", role=Role.TRUSTED)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "HORDE_WORKER_API_KEY": owner_key}
    argv = [sys.executable, "-m", "horde.worker", "--url", url, "--name", worker_name]
    argv += ["--model", "tiny", "--max-pixels", "4096", "--poll-interval", "0.2", "--no-progress"]
    with live.worker_log.open("wb") as out:
        live.worker = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=data, env=env)
    try:
        yield live
    finally:
        live.worker.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            live.worker.wait(timeout=10)
        if live.worker.poll() is None:
            live.worker.kill()
            live.worker.wait()
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
