"""Two copies of the Mastodon bot with one account (two nodes each started it): one works, the other waits for its
lease, and takes over when the first stops. Every mention is answered once."""

from __future__ import annotations

import time

from mastodon_mock.testing.server import MockServer

from horde.bots.mastodon.runner import BotThread
from horde.bots.mastodon.settings import MastodonSettings
from horde.queue.service import bot_leases
from tests.bots.live import LiveHorde
from tests.bots.mastodon.conftest import Bot, client, replies_to, reply_to, wait_for


def test_a_second_copy_waits_and_takes_over_answering_each_mention_once(
    bot: Bot, horde: LiveHorde, instance: MockServer
) -> None:
    first = bot.start()
    settings = MastodonSettings(
        _env_file=None,
        base_url=instance.base_url,
        token="bot_token",  # mastodon-mock's seeded account
        size="64x64",
        steps=4,
        images=1,
        rate_limit_seconds=0,
        poll_interval=1.0,
        censor_nsfw=False,
    )
    second = BotThread(horde.settings, settings, backoff=0.05)
    second.start()
    try:
        before = client(instance, "grace").status_post("@horde draw me a lantern at dusk")
        assert reply_to(instance, before)["media_attachments"]
        assert not second.ready.is_set() and second.error is None  # waiting for the lease, touching nothing

        bot.stop()  # the first copy goes: the second takes its lease within a retry
        assert not first.is_alive()
        assert second.ready.wait(bot_leases.RETRY_SECONDS + 30), "the second copy did not take over"
        after = client(instance, "grace").status_post("@horde draw me a lantern at dawn")
        assert reply_to(instance, after)["media_attachments"]

        time.sleep(3)  # time for any second answer to show
        assert len(replies_to(instance, before)) == 1
        assert len(replies_to(instance, after)) == 1
    finally:
        second.stop()
    assert second.error is None


def test_a_copy_stopped_while_it_waits_stops_at_once(bot: Bot, horde: LiveHorde, instance: MockServer) -> None:
    bot.start()
    assert bot.thread is not None
    waiting = BotThread(horde.settings, bot.thread.settings, backoff=0.05)
    waiting.start()
    wait_for(lambda: waiting.loop is not None, 10, what="the waiting copy's loop")
    started = time.monotonic()
    waiting.stop()
    assert not waiting.is_alive() and time.monotonic() - started < 5
    assert waiting.error is None
