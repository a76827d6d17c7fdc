"""Conversation in a thread the bot started: a new request there is drawn; chatter ("thanks!", which Mastodon
addresses to the bot by itself) gets no help reply, so a thread never fills with them."""

from __future__ import annotations

from mastodon_mock.testing.server import MockServer

from tests.bots.mastodon.conftest import Bot, person, replies_to, reply_to


def test_thanks_under_the_bots_reply_get_no_help_and_a_new_request_there_is_drawn(
    bot: Bot, instance: MockServer
) -> None:
    bot.start()
    kim = person(instance, "Kim")
    answer = reply_to(instance, kim.status_post("@horde draw me a tea pot"))

    thanks = kim.status_post("@horde thanks, lovely!", in_reply_to_id=answer["id"])
    assert thanks["in_reply_to_account_id"] == answer["account"]["id"]
    again = kim.status_post("@horde draw me a cup to go with it", in_reply_to_id=answer["id"])

    assert reply_to(instance, again)["media_attachments"]  # taken on after the thanks, and slower to answer
    assert replies_to(instance, thanks) == []


def test_chatter_elsewhere_still_gets_the_help_reply(bot: Bot, instance: MockServer) -> None:
    bot.start()
    lee = person(instance, "Lee")
    other = lee.status_post("my garden today")
    chatter = lee.status_post("@horde what do you do?", in_reply_to_id=other["id"])

    assert "draw me" in reply_to(instance, chatter)["content"]
