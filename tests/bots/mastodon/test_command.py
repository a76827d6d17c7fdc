"""The bot as people run it: ``horde bot mastodon`` alone beside a running Horde (the same database), and
``horde run``, which starts it when ``HORDE_MASTODON_BASE_URL`` and ``HORDE_MASTODON_TOKEN`` are set. Real
processes, a real mastodon-mock instance, real tiny workers."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
from mastodon import Mastodon
from mastodon_mock.testing.server import MockServer

from tests.bots.live import LiveHorde
from tests.bots.mastodon.conftest import reply_to, wait_for

HORDE = shutil.which("horde", path=str(Path(sys.executable).parent)) or "horde"


def environment(instance: MockServer, data_dir: Path, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HORDE_")}
    env |= {
        "HORDE_DATA_DIR": str(data_dir),
        "HF_HUB_OFFLINE": "1",
        "HORDE_MASTODON_BASE_URL": instance.base_url,
        "HORDE_MASTODON_TOKEN": "bot_token",
        "HORDE_MASTODON_SIZE": "64x64",
        "HORDE_MASTODON_STEPS": "4",
        "HORDE_MASTODON_POLL_INTERVAL": "1",
        "HORDE_MASTODON_CENSOR_NSFW": "false",  # the tiny worker has no safety checker
    }
    return env | more


@contextlib.contextmanager
def running(argv: list[str], env: dict[str, str], cwd: Path) -> Iterator[Path]:
    """``horde …`` in ``cwd``; Ctrl-C (SIGINT) stops it afterwards. Yields its log."""
    log = cwd / "horde.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([HORDE, *argv], env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield log
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def serving_tiny(url: str) -> bool:
    """Whether the Horde at ``url`` has a worker serving ``tiny`` (a mention before then gets "no worker")."""
    try:
        models = httpx.get(f"{url}/api/v2/status/models", timeout=5).json()
    except (httpx.HTTPError, ValueError):
        return False
    return any(m.get("name") == "tiny" and m.get("count", 0) > 0 for m in models)


def test_horde_bot_mastodon_answers_beside_a_running_horde(
    horde: LiveHorde, new_instance: MockServer, tmp_path: Path
) -> None:
    env = environment(new_instance, horde.settings.data_dir, HORDE_SECRET_KEY="m")
    with running(["bot", "mastodon"], env, tmp_path) as log:
        mention = Mastodon(access_token="zoe_token", api_base_url=new_instance.base_url).status_post(
            "@horde draw me a lamp in a window"
        )
        reply = reply_to(new_instance, mention, timeout=90)
        assert reply["media_attachments"], log.read_text()[-3000:]


def test_horde_run_starts_the_mastodon_bot_when_its_instance_and_token_are_set(
    new_instance: MockServer, tmp_path: Path
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = environment(new_instance, tmp_path / "data")
    with running(["run", "--port", str(port), "--worker", "tiny"], env, tmp_path) as log:
        # a first start builds the tiny alchemy models, then the worker loads them: 20 s idle, 80 s on a busy machine
        wait_for(lambda: serving_tiny(f"http://127.0.0.1:{port}"), timeout=240, what="horde run's local worker")
        mention = Mastodon(access_token="zoe_token", api_base_url=new_instance.base_url).status_post(
            "@horde draw me a harbour light"
        )
        reply = reply_to(new_instance, mention, timeout=120)
        assert reply["media_attachments"], log.read_text()[-3000:]
        assert "The Mastodon bot is starting" in log.read_text()
