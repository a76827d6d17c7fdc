"""Mentions answered over the wire: the real bot (Mastodon.py) against mastodon-mock, a real engine on SQLite and a
real tiny worker. What the person on the fediverse sees: the reply in the thread, its images, alt text, content
warning and visibility, and a polite reply for anything the bot will not draw."""

from __future__ import annotations

import time
from typing import Any

from mastodon import StreamListener
from mastodon.errors import MastodonNotFoundError
from mastodon_mock.testing.server import MockServer

from tests.bots.mastodon.conftest import Bot, client, replies_to, reply_to, wait_for


def test_a_mention_is_answered_with_images_alt_text_and_a_content_warning(bot: Bot, instance: MockServer) -> None:
    bot.start()
    mention = client(instance, "alice").status_post("@horde draw me a red fox ### blurry", visibility="unlisted")

    reply = reply_to(instance, mention)

    assert reply["in_reply_to_id"] == mention["id"] and reply["visibility"] == "unlisted"
    assert reply["spoiler_text"] == "AI generated image"
    assert "@alice" in reply["content"] and "a red fox" in reply["content"]
    media = reply["media_attachments"]
    assert len(media) == 2 and all(m["type"] == "image" for m in media)
    assert all("a red fox" in m["description"] and "seed" in m["description"] for m in media)
    assert all("blurry" not in m["description"] for m in media)  # the negative prompt is not the picture


def test_a_reply_is_never_more_public_than_its_mention(bot: Bot, instance: MockServer) -> None:
    bot.start()
    private = client(instance, "bob").status_post("@horde draw me a secret garden", visibility="direct")
    public = client(instance, "bob").status_post("@horde draw me a town square", visibility="public")

    assert reply_to(instance, private)["visibility"] == "direct"
    assert reply_to(instance, public)["visibility"] == "public"


def test_public_replies_over_the_hourly_budget_go_out_unlisted(bot: Bot, instance: MockServer) -> None:
    bot.start(public_replies_per_hour=0)
    mention = client(instance, "bob").status_post("@horde draw me a busy market", visibility="public")
    assert reply_to(instance, mention)["visibility"] == "unlisted"


def test_a_mention_is_answered_once_even_across_a_restart(bot: Bot, instance: MockServer) -> None:
    bot.start()
    mention = client(instance, "carol").status_post("@horde draw me a paper boat")
    reply_to(instance, mention)

    bot.stop()
    bot.start()  # it reads its notifications from where it stopped, and the mention is marked answered
    time.sleep(3)
    assert len(replies_to(instance, mention)) == 1


def test_a_mention_posted_while_the_bot_was_down_is_answered_after_a_restart(bot: Bot, instance: MockServer) -> None:
    bot.start()
    bot.stop()
    mention = client(instance, "dan").status_post("@horde draw me a quiet lake")

    bot.start()

    assert reply_to(instance, mention)["media_attachments"]


def test_a_second_request_within_the_rate_limit_gets_its_reply(bot: Bot, instance: MockServer) -> None:
    bot.start(rate_limit_seconds=600)
    first = client(instance, "erin").status_post("@horde draw me a red kite")
    assert reply_to(instance, first)["media_attachments"]

    second = client(instance, "erin").status_post("@horde draw me a blue kite")

    reply = reply_to(instance, second)
    assert "One drawing at a time" in reply["content"] and not reply["media_attachments"]


def test_blocked_words_unknown_styles_and_chatter_get_polite_replies(bot: Bot, instance: MockServer) -> None:
    bot.start(blocked_words="wolf, bear")
    frank = client(instance, "frank")
    blocked = frank.status_post("@horde draw me a grey WOLF in the snow")
    styled = frank.status_post("@horde draw me style: no-such-style a cat")
    chatter = frank.status_post("@horde hello, how are you?")

    assert "can't draw that" in reply_to(instance, blocked)["content"]
    assert "don't know that style" in reply_to(instance, styled)["content"]
    assert "draw me" in reply_to(instance, chatter)["content"]  # a short help
    for mention in (blocked, styled, chatter):
        assert not reply_to(instance, mention)["media_attachments"]


def test_a_deleted_mention_is_skipped_quietly(bot: Bot, instance: MockServer) -> None:
    grace = client(instance, "grace")
    mention = grace.status_post("@horde draw me a vanishing act")
    grace.status_delete(mention["id"])
    bot.start()
    later = grace.status_post("@horde draw me a lighthouse")
    assert reply_to(instance, later)["media_attachments"]  # the bot carried on


def test_images_all_held_back_by_the_safety_filter_get_their_reply(bot: Bot, instance: MockServer) -> None:
    bot.start(censor_nsfw=True)  # the tiny worker has no safety checker: it censors every image it is asked to
    mention = client(instance, "heidi").status_post("@horde draw me a sunflower")
    reply = reply_to(instance, mention)
    assert "held back by the safety filter" in reply["content"] and not reply["media_attachments"]


def test_the_streaming_api_wakes_the_bot_before_its_next_poll(bot: Bot, instance: MockServer) -> None:
    thread = bot.start(poll_interval=300)  # a poll at start, then none for five minutes: only the stream wakes it
    wait_for(thread.streaming, timeout=20, what="the user stream")
    mention = client(instance, "ivan").status_post("@horde draw me a comet")
    assert reply_to(instance, mention, timeout=40)["media_attachments"]


def test_without_streaming_polling_alone_answers(bot: Bot, instance: MockServer) -> None:
    bot.start(streaming=False, poll_interval=0.5)
    mention = client(instance, "ivan").status_post("@horde draw me a meteor shower")
    assert reply_to(instance, mention)["media_attachments"]


def gone(instance: MockServer, status_id: str) -> bool:
    try:
        client(instance, "alice").status(status_id)
    except MastodonNotFoundError:
        return True
    return False


def test_a_long_wait_gets_one_working_on_it_reply_that_goes_when_the_images_come(
    bot: Bot, instance: MockServer
) -> None:
    seen: list[Any] = []

    class Listener(StreamListener):
        def on_notification(self, notification: Any) -> None:
            seen.append(notification)

    alice = client(instance, "alice")
    stream = alice.stream_user(Listener(), run_async=True, reconnect_async=True)
    try:
        wait_for(stream.is_receiving, timeout=20, what="alice's stream")
        bot.start(working_notice_after=0.01, images=4)
        mention = alice.status_post("@horde draw me four small moons")
        reply = reply_to(instance, mention)
        notices = [n["status"] for n in seen if n["type"] == "mention" and "Working on it" in n["status"]["content"]]
    finally:
        stream.close()

    assert len(notices) == 1  # one, however long it waits
    assert "number" in notices[0]["content"] and notices[0]["in_reply_to_id"] == mention["id"]
    wait_for(lambda: gone(instance, notices[0]["id"]), timeout=10, what="the notice to be deleted")
    assert len(reply["media_attachments"]) == 4, reply["content"]
    assert [r["id"] for r in replies_to(instance, mention)] == [reply["id"]]
