"""``horde run --worker MODEL``: one worker beside the server, so a newcomer sees an image generated.

The worker is the ordinary ``horde worker`` in a child process, talking HTTP to this server like any other
worker. Its owner is a trusted account ``local-worker`` whose key lives in the data dir (mode 0600).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from horde.queue import errors
from horde.queue.service import SYSTEM, HordeService, Role
from horde.webapp.settings import WebSettings

OWNER = "local-worker"


def _key_file(settings: WebSettings) -> Path:
    return settings.data_dir / "local_worker.key"


async def _ensure_key(settings: WebSettings) -> str:
    path = _key_file(settings)
    service = HordeService.open(settings)
    try:
        if path.exists():
            key = path.read_text().strip()
            try:
                await service.users.authenticate(key)
            except errors.AuthError:
                pass  # the database was reset: make a new account below
            else:
                return key
        created = await service.users.create_user(SYSTEM, OWNER, role=Role.TRUSTED)
    finally:
        await service.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(created.api_key)
    return created.api_key


TINY_MAX_PIXELS = 64 * 64


def start(settings: WebSettings, model: str, url: str) -> subprocess.Popen[bytes]:
    """Start the worker process; it retries until the server answers."""
    key = asyncio.run(_ensure_key(settings))
    command = [sys.executable, "-m", "horde.worker", "--url", url, "--model", model, "--name", f"local-{model}"]
    if model == "tiny":
        # random weights on a CPU: 64×64 takes a fraction of a second a step, 512×512 minutes (measured: 390 s), so
        # the demo takes only what it can show at once; bigger asks are told no worker serves that size
        command += ["--text-model", "tiny", "--max-pixels", str(TINY_MAX_PIXELS)]
    env = {**os.environ, "HORDE_WORKER_API_KEY": key, "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1")}
    return subprocess.Popen(command, env=env)  # noqa: S603 - our own interpreter and module


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ask the worker to finish its job and stop (SIGTERM drains), then make sure it is gone."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
