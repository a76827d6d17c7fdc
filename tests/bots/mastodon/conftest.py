"""One live Horde (uvicorn in a thread, SQLite) with a tiny worker, one ``mastodon-mock`` server (a real Mastodon
API that nobody here wrote) and the real bot on its own thread, started per test with that test's settings."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from mastodon import Mastodon
from mastodon_mock.config import SeedAccount, SeedConfig
from mastodon_mock.testing.server import MockServer

from horde.bots.mastodon.runner import BotThread
from horde.bots.mastodon.settings import MastodonSettings
from tests.bots.live import LiveHorde, live_horde

PEOPLE = ("alice", "bob", "carol", "dan", "erin", "frank", "grace", "heidi", "ivan")


@pytest.fixture(scope="package")
def horde(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHorde]:
    with live_horde(tmp_path_factory.mktemp("horde-mastodon"), worker_name="mastodon-tiny", secret="m") as live:
        live.wait_for_worker()
        yield live


@pytest.fixture(scope="package")
def instance() -> Iterator[MockServer]:
    accounts = [SeedAccount(username="horde", display_name="Horde", access_token="bot_token")]  # nosec B106
    accounts += [SeedAccount(username=p, display_name=p.title(), access_token=f"{p}_token") for p in PEOPLE]
    with MockServer(seed=SeedConfig(accounts=accounts)) as server:
        yield server


@pytest.fixture
def new_instance() -> Iterator[MockServer]:
    """An instance the bot has never been on: its first start there."""
    accounts = [SeedAccount(username="horde", display_name="Horde", access_token="bot_token")]  # nosec B106
    accounts.append(SeedAccount(username="zoe", display_name="Zoe", access_token="zoe_token"))  # nosec B106
    with MockServer(seed=SeedConfig(accounts=accounts)) as server:
        yield server


def client(instance: MockServer, who: str) -> Mastodon:
    return Mastodon(access_token=f"{who}_token", api_base_url=instance.base_url)


def person(instance: MockServer, display_name: str) -> Mastodon:
    """A new account of its own on the instance (so no other test's rate limit or ban touches it)."""
    made = httpx.post(f"{instance.base_url}/api/v1/_mock/dev_user", json={"display_name": display_name})
    made.raise_for_status()
    return Mastodon(access_token=made.json()["access_token"], api_base_url=instance.base_url)


class Bot:
    """Starts and stops the bot (a restart is a stop and a start) with the test's settings."""

    def __init__(self, horde: LiveHorde, instance: MockServer) -> None:
        self.horde, self.instance = horde, instance
        self.thread: BotThread | None = None

    def start(self, **overrides: Any) -> BotThread:
        values: dict[str, Any] = {
            "base_url": self.instance.base_url,
            "token": "bot_token",
            "size": "64x64",
            "steps": 4,
            "images": 2,
            "rate_limit_seconds": 0,
            "poll_interval": 1.0,
            "working_notice_after": 30.0,
            "censor_nsfw": False,  # the tiny worker has no safety checker: it would censor every image
        }
        settings = MastodonSettings(_env_file=None, **(values | overrides))
        self.thread = BotThread(self.horde.settings, settings, backoff=0.05)
        self.thread.start()
        if not self.thread.ready.wait(30) or self.thread.error is not None:
            raise RuntimeError(f"the bot did not start: {self.thread.error!r}")
        return self.thread

    def stop(self) -> None:
        if self.thread is not None:
            self.thread.stop()
            self.thread = None


@pytest.fixture
def bot(horde: LiveHorde, instance: MockServer) -> Iterator[Bot]:
    handle = Bot(horde, instance)
    try:
        yield handle
    finally:
        handle.stop()


def wait_for(predicate: Callable[[], Any], timeout: float = 60.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what or predicate}")


def replies_to(instance: MockServer, status: Any) -> list[Any]:
    """The bot's replies in a mention's thread."""
    thread = client(instance, "alice").status_context(status["id"])
    return [s for s in thread["descendants"] if s["account"]["username"] == "horde"]


def reply_to(instance: MockServer, status: Any, timeout: float = 60.0) -> Any:
    """The bot's answer to a mention (not its "working on it" notice, which goes when the answer comes)."""

    def answers() -> list[Any]:
        return [s for s in replies_to(instance, status) if "Working on it" not in s["content"]]

    found = wait_for(answers, timeout, what="the bot's reply")
    return found[0]
