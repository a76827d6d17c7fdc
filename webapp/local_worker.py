"""``horde run --worker MODEL``: one worker beside the server, so a newcomer sees an image generated.

The worker is the ordinary ``horde worker`` in a child process, talking HTTP to this server like any other
worker. Its owner is a trusted account ``local-worker`` whose key lives in the data dir (mode 0600).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
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
#: what the tiny alchemy models need beyond the worker extra (the ``alchemy`` extra)
ALCHEMY_MODULES = ("spandrel", "open_clip", "rembg", "onnxruntime", "onnx")


def tiny_alchemy_dir(settings: WebSettings) -> Path | None:
    """The tiny random-weight alchemy models in the data dir, built on first use (a few seconds, in a child process,
    so the server never imports torch), or None, saying why, when the ``alchemy`` extra is not installed."""
    folder = settings.data_dir / "tiny_alchemy"
    if folder.is_dir():
        return folder
    missing = [name for name in ALCHEMY_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        sys.stdout.write(
            f"The local worker serves no alchemy: {', '.join(missing)} not installed (the alchemy extra)\n"
        )
        return None
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    sys.stdout.write("Building the tiny alchemy models for the local worker (first start only)...\n")
    module = "horde.worker.pipelines.tiny_alchemy"
    built = subprocess.run([sys.executable, "-m", module, str(partial)], check=False, stdout=subprocess.DEVNULL)  # noqa: S603
    if built.returncode != 0:
        sys.stdout.write("The tiny alchemy models could not be built: the local worker serves no alchemy\n")
        return None
    partial.rename(folder)  # whole or not at all: an interrupted build is made again next start
    return folder


def start(settings: WebSettings, model: str, url: str) -> subprocess.Popen[bytes]:
    """Start the worker process; it retries until the server answers."""
    key = asyncio.run(_ensure_key(settings))
    command = [sys.executable, "-m", "horde.worker", "--url", url, "--model", model, "--name", f"local-{model}"]
    if model == "tiny":
        # random weights on a CPU: 64×64 takes a fraction of a second a step, 512×512 minutes (measured: 390 s), so
        # the demo takes only what it can show at once; bigger asks are told no worker serves that size
        command += ["--text-model", "tiny", "--max-pixels", str(TINY_MAX_PIXELS)]
        alchemy = tiny_alchemy_dir(settings)
        if alchemy is not None:  # captions, NSFW checks, upscalers: the Alchemy page and post-processing work too
            command += ["--alchemy", "--alchemy-dir", str(alchemy)]
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
