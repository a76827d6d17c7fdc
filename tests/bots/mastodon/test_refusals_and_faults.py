"""More of what a person on the fediverse sees, over the wire (mastodon-mock, a real engine, a real tiny worker):
the horde's own prompt filters, bans, maintenance, a model no worker serves, the instance's character limit, a
server that fails now and then, and the very first start, which answers only recent mentions."""

from __future__ import annotations

import html
import re
import time
from typing import Any

from mastodon import Mastodon
from mastodon_mock.testing.server import MockServer

from horde.queue import dto
from horde.queue.domain.roles import Role
from horde.queue.service import SYSTEM, HordeService
from tests.bots.live import LiveHorde
from tests.bots.mastodon.conftest import Bot, person, replies_to, reply_to


def fediverse_name(instance: MockServer, who: Mastodon) -> str:
    """``user@instance``, the name the bot's Horde user for a local account goes by."""
    return f"{who.me()['acct']}@{instance.base_url.split('://', 1)[1]}"


def test_the_hordes_own_prompt_filters_hold_on_mastodon(bot: Bot, horde: LiveHorde, instance: MockServer) -> None:
    async def moderator(service: HordeService) -> dto.Actor:
        made = await service.users.create_user(SYSTEM, "filter-keeper", role=Role.MODERATOR)
        return await service.users.authenticate(made.api_key)

    keeper: dto.Actor = horde.call(moderator)
    made = horde.call(lambda service: service.moderation.put_filter(keeper, regex=r"\bbasilisk\b", filter_type=20))
    try:
        bot.start()
        mention = person(instance, "Filtered").status_post("@horde draw me a basilisk in a cave")
        reply = reply_to(instance, mention)
    finally:
        horde.call(lambda service: service.moderation.delete_filter(keeper, made.id))

    assert "can't draw that" in reply["content"] and not reply["media_attachments"]


def test_a_banned_account_gets_its_reply(bot: Bot, horde: LiveHorde, instance: MockServer) -> None:
    banned = person(instance, "Banned")

    async def ban(service: HordeService) -> None:
        actor = await service.mastodon.actor(fediverse_name(instance, banned), "Banned")
        await service.users.modify(SYSTEM, actor.user_id, suspended=True)

    horde.call(ban)
    bot.start()
    reply = reply_to(instance, banned.status_post("@horde draw me a locked door"))

    assert "may not use the horde" in reply["content"] and not reply["media_attachments"]


def test_in_maintenance_a_mention_gets_its_reply(bot: Bot, horde: LiveHorde, instance: MockServer) -> None:
    horde.call(lambda service: service.moderation.modes.change(SYSTEM, maintenance=True))
    try:
        bot.start()
        reply = reply_to(instance, person(instance, "Early").status_post("@horde draw me a closed shop"))
    finally:
        horde.call(lambda service: service.moderation.modes.change(SYSTEM, maintenance=False))

    assert "maintenance" in reply["content"] and not reply["media_attachments"]


def test_a_model_no_worker_serves_gets_its_reply(bot: Bot, instance: MockServer) -> None:
    bot.start(model="a-model-nobody-runs")
    reply = reply_to(instance, person(instance, "Hopeful").status_post("@horde draw me a unicorn"))

    assert "no worker can draw that" in reply["content"] and not reply["media_attachments"]


def test_a_reply_to_a_long_prompt_stays_within_the_instances_limit(bot: Bot, instance: MockServer) -> None:
    wordy = person(instance, "Wordy")
    prompt = " ".join(["a very long winding river"] * 18) + " past a mill"
    asked = f"@horde draw me {prompt}"
    assert len(asked) <= 500 < len(f"@{wordy.me()['acct']} Here you are: {prompt}")  # the answer must be cut
    bot.start()

    reply = reply_to(instance, wordy.status_post(asked))

    text = html.unescape(re.sub(r"<[^>]+>", "", reply["content"]))
    assert len(text) <= 500 and text.endswith("…") and "Here you are: a very long winding river" in text
    assert reply["media_attachments"]


def test_a_request_past_the_longest_wait_is_cancelled_and_answered(
    bot: Bot, horde: LiveHorde, instance: MockServer
) -> None:
    tardy = person(instance, "Tardy")
    bot.start(max_wait=0.001, images=4)  # it gives up at its first look

    reply = reply_to(instance, tardy.status_post("@horde draw me a slow sunrise"))

    async def requests(service: HordeService) -> list[dto.RequestStatus]:
        actor = await service.mastodon.actor(fediverse_name(instance, tardy), "Tardy")
        return await service.requests.history(actor)

    [request] = horde.call(requests)
    assert request.cancelled  # nothing left in the queue for nobody
    assert len(reply["media_attachments"]) < 4 and (
        "could not be made" in reply["content"] or reply["media_attachments"]
    )


def test_failed_uploads_and_posts_are_retried(bot: Bot, instance: MockServer) -> None:
    bot.start()
    with instance.fault(path_regex=r"^/api/v[12]/media$", methods=["POST"], status=503, count=2):
        mention = person(instance, "Patient").status_post("@horde draw me a bridge in fog")
        with instance.fault(path="/api/v1/statuses", methods=["POST"], status=502, count=1):
            reply = reply_to(instance, mention)

    assert len(reply["media_attachments"]) == 2
    assert len(replies_to(instance, mention)) == 1


def test_the_first_start_answers_only_mentions_younger_than_its_limit(
    horde: LiveHorde, new_instance: MockServer
) -> None:
    zoe = Mastodon(access_token="zoe_token", api_base_url=new_instance.base_url)
    old = zoe.status_post("@horde draw me an old photograph")
    time.sleep(4)
    recent = zoe.status_post("@horde draw me a new moon")
    first = Bot(horde, new_instance)
    try:
        first.start(first_start_max_age=3.0)
        answered = reply_to(new_instance, recent)
        later = zoe.status_post("@horde draw me a full moon")  # after the first start, every mention counts
        assert reply_to(new_instance, later)["media_attachments"]
    finally:
        first.stop()

    assert answered["media_attachments"]
    assert replies_to(new_instance, old) == []


def test_the_first_start_answers_mentions_up_to_an_hour_old_by_default(
    horde: LiveHorde, new_instance: MockServer
) -> None:
    waiting = Mastodon(access_token="zoe_token", api_base_url=new_instance.base_url).status_post(
        "@horde draw me a patient heron"
    )
    time.sleep(1)
    first = Bot(horde, new_instance)
    try:
        first.start()
        reply: Any = reply_to(new_instance, waiting)
    finally:
        first.stop()

    assert reply["media_attachments"]


def test_after_a_first_start_that_found_nothing_a_mention_missed_is_answered_however_old(
    horde: LiveHorde, new_instance: MockServer
) -> None:
    quiet = Bot(horde, new_instance)
    quiet.start(first_start_max_age=2.0)  # nothing waiting: the very first start is over all the same
    quiet.stop()
    missed = Mastodon(access_token="zoe_token", api_base_url=new_instance.base_url).status_post(
        "@horde draw me a long night"
    )
    time.sleep(3)  # older than the first start's limit by the time the bot is back
    try:
        quiet.start(first_start_max_age=2.0)
        reply = reply_to(new_instance, missed, timeout=30)
    finally:
        quiet.stop()

    assert reply["media_attachments"]
