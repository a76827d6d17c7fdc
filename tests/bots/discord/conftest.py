"""One live Horde (uvicorn in a thread, SQLite), one tiny worker process, one fake Discord and the real bot on its
own thread and event loop, shared by this folder's tests. Each test uses its own Discord users and guilds."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator

import pytest

from horde.bots.discord.runner import BotThread
from horde.bots.discord.settings import DiscordSettings
from tests.bots.discord.fake_discord import FakeDiscord, User
from tests.bots.live import LiveHorde, live_horde

MANAGE_GUILD = 1 << 5
_ids = itertools.count(700_000)


@dataclasses.dataclass
class Live(LiveHorde):
    fake: FakeDiscord = dataclasses.field(default=None)  # type: ignore[assignment]

    def user(self, name: str = "someone", *, manager: bool = False) -> User:
        return User(next(_ids), name, permissions=MANAGE_GUILD if manager else 0)

    def guild(self) -> int:
        return next(_ids)


@pytest.fixture(scope="package")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    data = tmp_path_factory.mktemp("horde-discord")
    with live_horde(data, worker_name="discord-tiny", secret="discord-secret") as horde:
        fake = FakeDiscord().start()
        live = Live(**{f.name: getattr(horde, f.name) for f in dataclasses.fields(horde)}, fake=fake)
        bot = BotThread(
            horde.settings,
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
            fake.stop()


@pytest.fixture
def fake(live: Live) -> FakeDiscord:
    return live.fake


@pytest.fixture(scope="package")
def worker_ready(live: Live) -> Live:
    live.wait_for_worker()
    return live
