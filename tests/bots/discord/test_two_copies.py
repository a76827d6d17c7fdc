"""Two copies of the Discord bot with one token (two nodes each started it). Discord sends every command to every
connected copy, so only one may connect: the second waits for the token's lease and connects once the first
stops."""

from __future__ import annotations

import time

from horde.bots.discord.runner import BotThread
from horde.bots.discord.settings import DiscordSettings
from horde.queue.service import bot_leases
from tests.bots.discord.conftest import Live
from tests.bots.discord.fake_discord import FakeDiscord


def test_only_one_copy_per_token_connects_and_the_other_takes_over(live: Live) -> None:
    own = FakeDiscord().start()  # a Discord of this test's own: the package's bot is not on it
    settings = DiscordSettings(_env_file=None, token="two-copies-token", api_url=own.api_url)
    first, second = BotThread(live.settings, settings), BotThread(live.settings, settings)
    try:
        first.start()
        assert first.ready.wait(30) and first.error is None
        second.start()
        time.sleep(2)
        assert len(own.sockets) == 1  # the second copy waits for the lease: it never connected
        assert not second.ready.is_set() and second.error is None

        first.stop()
        assert not first.is_alive() and first.error is None
        assert second.ready.wait(bot_leases.RETRY_SECONDS + 30), "the second copy did not take over"
        assert len(own.sockets) == 2  # it connected once the first had gone (whose socket closed)
        assert own.sockets[0].closed and not own.sockets[1].closed
    finally:
        first.stop()
        second.stop()
        own.stop()
    assert second.error is None
