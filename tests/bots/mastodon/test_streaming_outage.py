"""The streaming API going away and coming back: polling answers meanwhile, and the stream reconnects by itself
(mastodon-mock's fault injection answers the user stream with 503 for as long as the test says)."""

from __future__ import annotations

from mastodon_mock.testing.server import MockServer

from tests.bots.mastodon.conftest import Bot, person, reply_to, wait_for


def test_while_streaming_is_down_polling_answers_and_the_stream_comes_back(bot: Bot, instance: MockServer) -> None:
    with instance.fault(path="/api/v1/streaming/user", methods=["GET"], status=503):
        thread = bot.start(poll_interval=0.5)
        mention = person(instance, "Outage").status_post("@horde draw me a power cut")

        assert reply_to(instance, mention)["media_attachments"]
        assert not thread.streaming()

    wait_for(thread.streaming, timeout=30, what="the user stream to reconnect")
