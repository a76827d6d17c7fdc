"""A live Horde (uvicorn in a thread, SQLite) and a real ``horde worker`` process serving it, for end-to-end tests."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import io
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from PIL import Image

from horde.queue.domain.roles import Role
from horde.queue.store import migrate
from horde.webapp.app import create_app
from horde.webapp.settings import WebSettings
from tests.browser.conftest import _free_socket
from tests.conftest import _run
from tests.live_service import ServiceCalls

WORKER_START_SECONDS = 180  # imports and model loading on a busy 2-core machine


@dataclasses.dataclass
class LiveServer(ServiceCalls):
    settings: WebSettings
    url: str
    workers: list[tuple[subprocess.Popen[bytes], Path]] = dataclasses.field(default_factory=list)

    def start_worker(self, *args: str, name: str, kind: str, log: Path) -> subprocess.Popen[bytes]:
        """``horde worker ARGS`` as its own process, owned by a trusted account; returns once the server lists
        a worker named ``name`` of type ``kind`` (it has popped)."""
        process = self.spawn_worker(*args, log=log)
        self.wait_for_worker(name, kind)
        return process

    def spawn_worker(self, *args: str, log: Path) -> subprocess.Popen[bytes]:
        """``horde worker ARGS`` as its own process, owned by a trusted account; returns at once."""
        owner = self.make_user(f"owner-{len(self.workers)}", role=Role.TRUSTED)
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1", "HORDE_WORKER_API_KEY": owner}
        argv = [sys.executable, "-m", "horde.worker", "--url", self.url, "--poll-interval", "0.2", "--no-progress"]
        with log.open("wb") as out:
            process = subprocess.Popen([*argv, *args], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=log.parent)
        self.workers.append((process, log))
        return process

    def wait_for_worker(self, name: str, kind: str) -> None:
        """Until the server lists a worker named ``name`` of type ``kind``."""
        deadline = time.monotonic() + WORKER_START_SECONDS
        while time.monotonic() < deadline:
            self.check_workers()
            listed = httpx.get(f"{self.url}/api/v2/workers", params={"type": kind}, timeout=10).json()
            if any(worker["name"] == name for worker in listed):
                return
            time.sleep(0.5)
        logs = "\n".join(log.read_text()[-2000:] for _, log in self.workers)
        raise RuntimeError(f"the worker {name} did not check in:\n{logs}")

    def wait_done(self, path: str, seconds: float = 240) -> dict[str, Any]:
        """Poll a status URL until its request is done (or faulted)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            status: dict[str, Any] = httpx.get(f"{self.url}{path}", timeout=10).json()
            if status.get("done") or status.get("state") in ("done", "faulted", "cancelled"):
                return status
            self.check_workers()
            time.sleep(0.5)
        logs = "\n".join(log.read_text()[-2000:] for _, log in self.workers)
        raise AssertionError(f"{path} is not done: {status}\n{logs}")

    def check_workers(self) -> None:
        for process, log in self.workers:
            if process.poll() is not None:
                raise RuntimeError(f"a worker exited: {log.read_text()[-3000:]}")


@contextlib.contextmanager
def live_server(data: Path, **overrides: Any) -> Iterator[LiveServer]:
    """A Horde on SQLite in ``data``; every worker started through it is stopped (SIGTERM, then SIGKILL) at the end."""
    sock = _free_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    values: dict[str, Any] = {
        "data_dir": data,
        "secret_key": "alchemy-e2e",
        "public_url": url,
        "rate_limits": "off",
        "sweep_interval": 1.0,
    }
    settings = WebSettings(_env_file=None, **(values | overrides))
    _run(migrate.upgrade_async(settings.resolved_database_url()))
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    live = LiveServer(settings, url)
    try:
        yield live
    finally:
        for process, _ in live.workers:
            process.terminate()
        for process, _ in live.workers:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=20)
            if process.poll() is None:
                process.kill()
                process.wait()
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def png_base64(width: int = 64, height: int = 48) -> str:
    buffer = io.BytesIO()
    Image.effect_noise((width, height), 60).convert("RGB").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def fetch_image(url: str) -> Image.Image:
    response = httpx.get(url, timeout=10)
    response.raise_for_status()
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image
