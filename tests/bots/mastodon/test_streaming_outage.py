"""The instance failing for a while (mastodon-mock's fault injection answers chosen calls with 5xx for as long as
the test says): the stream goes and comes back while polling answers, a bot started while its instance is down
waits for it, and an answer that failed past its quick retries is tried again later, once."""

from __future__ import annotations

from mastodon_mock.testing.server import MockServer

from tests.bots.mastodon.conftest import Bot, person, replies_to, reply_to, wait_for


def test_while_streaming_is_down_polling_answers_and_the_stream_comes_back(bot: Bot, instance: MockServer) -> None:
    with instance.fault(path="/api/v1/streaming/user", methods=["GET"], status=503):
        thread = bot.start(poll_interval=0.5)
        mention = person(instance, "Outage").status_post("@horde draw me a power cut")

        assert reply_to(instance, mention)["media_attachments"]
        assert not thread.streaming()

    wait_for(thread.streaming, timeout=30, what="the user stream to reconnect")


def test_a_bot_started_while_its_instance_is_down_waits_for_it(bot: Bot, instance: MockServer) -> None:
    mention = person(instance, "Early").status_post("@horde draw me a sunrise after the storm")
    with instance.fault(path="/api/v1/accounts/verify_credentials", methods=["GET"], status=502, count=7):
        bot.start()  # it says who it is (the first call) only at the seventh try: more than one round of retries

    assert reply_to(instance, mention)["media_attachments"]


def test_an_answer_that_failed_is_tried_again_later_and_posted_once(bot: Bot, instance: MockServer) -> None:
    bot.start()
    mention = person(instance, "Unlucky").status_post("@horde draw me a rainbow")
    with instance.fault(path="/api/v1/statuses", methods=["POST"], status=503, count=5):  # more than one round
        reply = reply_to(instance, mention)

    assert reply["media_attachments"]
    assert [r["id"] for r in replies_to(instance, mention)] == [reply["id"]]
