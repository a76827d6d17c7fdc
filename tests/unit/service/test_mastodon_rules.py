"""The Mastodon bot's rules in the service: each mention taken on once, the bot's place in its notifications, one
request per fediverse account every few minutes, blocked words, and a restart that finishes what it started."""

from __future__ import annotations

import pytest

from horde.queue import errors
from horde.queue.clock import FrozenClock
from horde.queue.service import GenerationAsk, HordeService, MastodonRules, Mention
from horde.queue.store import mastodon_state

RULES = MastodonRules(rate_limit_seconds=300, blocked_words=("wolf",))
ACCOUNT = "alice@example.social"


def ask(prompt: str = "a red fox", **params: object) -> GenerationAsk:
    return GenerationAsk(prompt, params={"width": 64, "height": 64, "steps": 4, **params}, models=("tiny",))


async def taken(service: HordeService, status_id: str, account: str = ACCOUNT) -> Mention:
    assert await service.mastodon.take_on("example.social", status_id, account)
    return Mention(status_id, account, None)


async def test_a_mention_is_taken_on_once(service: HordeService) -> None:
    assert await service.mastodon.take_on("example.social", "101", ACCOUNT)
    assert not await service.mastodon.take_on("example.social", "101", ACCOUNT)
    assert [m.status_id for m in await service.mastodon.unanswered("example.social")] == ["101"]

    await service.mastodon.answered("101")

    assert await service.mastodon.unanswered("example.social") == []
    assert not await service.mastodon.take_on("example.social", "101", ACCOUNT)  # answered: never again


async def test_the_place_in_the_notifications_is_kept_per_instance(service: HordeService) -> None:
    assert await service.mastodon.cursor("example.social") is None  # the very first start

    await service.mastodon.save_cursor("example.social", "7")
    await service.mastodon.save_cursor("example.social", "9")

    assert await service.mastodon.cursor("example.social") == "9"
    assert await service.mastodon.cursor("other.example") is None


async def test_a_first_start_that_found_nothing_is_over_all_the_same(service: HordeService) -> None:
    await service.mastodon.started("example.social")
    assert await service.mastodon.cursor("example.social") == "0"  # every later mention counts

    await service.mastodon.save_cursor("example.social", "12")
    await service.mastodon.started("example.social")  # a later start moves nothing back
    assert await service.mastodon.cursor("example.social") == "12"


async def test_each_account_is_its_own_horde_user(service: HordeService) -> None:
    alice = await service.mastodon.actor(ACCOUNT, "Alice")
    again = await service.mastodon.actor(ACCOUNT, "Alice (renamed)")
    bob = await service.mastodon.actor("alice@other.example", "Alice")

    assert alice.user_id == again.user_id != bob.user_id


async def test_one_request_per_account_every_few_minutes(service: HordeService, frozen_clock: FrozenClock) -> None:
    actor = await service.mastodon.actor(ACCOUNT, "Alice")
    first = await service.mastodon.generate(actor, await taken(service, "1"), ask(), RULES)
    assert first.id

    with pytest.raises(errors.RateLimitedError) as refused:
        await service.mastodon.generate(actor, await taken(service, "2"), ask(), RULES)
    assert refused.value.retry_after == 300

    other = await service.mastodon.actor("bob@example.social", "Bob")
    assert await service.mastodon.generate(other, await taken(service, "3", "bob@example.social"), ask(), RULES)

    frozen_clock.advance(301)
    assert await service.mastodon.generate(actor, await taken(service, "4"), ask(), RULES)


async def test_a_refused_request_does_not_use_up_the_turn(service: HordeService) -> None:
    actor = await service.mastodon.actor(ACCOUNT, "Alice")

    with pytest.raises(errors.BlockedWordError):
        await service.mastodon.generate(actor, await taken(service, "1"), ask("a grey Wolf"), RULES)
    with pytest.raises(errors.ValidationError):
        await service.mastodon.generate(actor, await taken(service, "2"), ask(width=7), RULES)

    assert await service.mastodon.generate(actor, await taken(service, "3"), ask(), RULES)


async def test_a_blocked_word_may_be_asked_to_be_left_out(service: HordeService) -> None:
    actor = await service.mastodon.actor(ACCOUNT, "Alice")
    assert await service.mastodon.generate(actor, await taken(service, "1"), ask("a forest ### wolf"), RULES)


async def test_a_mention_cut_off_by_a_restart_is_not_rate_limited_by_itself(service: HordeService) -> None:
    actor = await service.mastodon.actor(ACCOUNT, "Alice")
    await taken(service, "1")
    async with service.ctx.db.write() as conn:  # the bot stopped after taking the turn, before the request was made
        await mastodon_state.set_request(conn, "1", "pending")

    [resumed] = await service.mastodon.unanswered("example.social")
    assert resumed.request_id is None

    assert await service.mastodon.generate(actor, resumed, ask(), RULES)
