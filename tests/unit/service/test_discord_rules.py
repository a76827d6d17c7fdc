"""The Discord bot's rules in the service: per-guild rate limits (also under concurrency), gifts that wait a week and
are delivered once, and linked keys kept sealed."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
import sqlalchemy as sa

from horde.queue import errors
from horde.queue.clock import FrozenClock
from horde.queue.domain.roles import ANONYMOUS_API_KEY
from horde.queue.service import SYSTEM, GenerationAsk, HordeService
from horde.queue.store import tables
from tests.factories import make_user

GUILD = "guild-1"


def ask(prompt: str = "a small boat", **params: object) -> GenerationAsk:
    return GenerationAsk(prompt, params={"width": 64, "height": 64, "steps": 4, **params}, models=("tiny",))


async def generate(service: HordeService, discord_id: str, prompt: str = "a small boat", **params: object) -> str:
    actor = await service.discord.actor(discord_id, f"user{discord_id}")
    created = await service.discord.generate(
        actor, ask(prompt, **params), guild_id=GUILD, discord_id=discord_id, channel_nsfw=False
    )
    return created.id


async def test_a_guild_rate_limit_refuses_the_extra_request_until_the_window_passes(
    service: HordeService, frozen_clock: FrozenClock
) -> None:
    await service.discord.update_guild(GUILD, can_manage=True, rate_limit_count=2, rate_limit_seconds=60)
    await generate(service, "111")
    frozen_clock.advance(20)
    await generate(service, "111")
    with pytest.raises(errors.GuildRateLimitedError) as refused:
        await generate(service, "111")
    assert refused.value.retry_after == 40  # the first use leaves the window in 40 s
    await generate(service, "222")  # another person has their own allowance
    frozen_clock.advance(41)
    await generate(service, "111")


async def test_a_refused_request_does_not_use_up_the_rate_limit(service: HordeService) -> None:
    await service.discord.update_guild(GUILD, can_manage=True, rate_limit_count=1, rate_limit_seconds=600)
    with pytest.raises(errors.ValidationError):
        await generate(service, "333", cfg_scale=500)
    await generate(service, "333")


async def test_concurrent_commands_cannot_pass_the_rate_limit_together(service: HordeService) -> None:
    await service.discord.update_guild(GUILD, can_manage=True, rate_limit_count=3, rate_limit_seconds=600)
    await service.discord.actor("444", "racer")  # the account exists before the race
    outcomes = await asyncio.gather(*(generate(service, "444") for _ in range(8)), return_exceptions=True)
    accepted = [o for o in outcomes if isinstance(o, str)]
    refused = [o for o in outcomes if isinstance(o, errors.GuildRateLimitedError)]
    assert (len(accepted), len(refused)) == (3, 5), outcomes


async def test_a_gift_to_a_newcomer_waits_and_is_delivered_once(service: HordeService) -> None:
    sender = await make_user(service, "giver", kudos=100)
    start = (await service.users.me(sender)).kudos
    gift = await service.discord.gift(sender, "555", 10)
    assert not gift.delivered and gift.recipient is None
    assert (await service.users.me(sender)).kudos == start  # the kudos leave the sender only on delivery

    # the newcomer's first commands arrive together: the gift is delivered by exactly one of them
    actors = await asyncio.gather(*(service.discord.actor("555", "newcomer") for _ in range(4)))
    assert len({a.user_id for a in actors}) == 1
    received = (await service.users.me(actors[0])).kudos
    assert (await service.users.me(sender)).kudos == start - 10

    delivered = await service.discord.gift(sender, "555", 5)  # now they have an account: at once
    assert delivered.delivered and delivered.recipient is not None and delivered.recipient.startswith("newcomer#")
    assert (await service.users.me(actors[0])).kudos == received + 5
    assert (await service.users.me(sender)).kudos == start - 15


async def test_a_gift_nobody_claims_within_a_week_lapses(service: HordeService, frozen_clock: FrozenClock) -> None:
    sender = await make_user(service, "patient", kudos=100)
    start = (await service.users.me(sender)).kudos
    await service.discord.gift(sender, "666", 10)
    frozen_clock.advance(dt.timedelta(days=7, seconds=1).total_seconds())
    late = await service.discord.actor("666", "late")
    fresh = await service.discord.actor("667", "fresh")
    assert (await service.users.me(late)).kudos == (await service.users.me(fresh)).kudos
    assert (await service.users.me(sender)).kudos == start


async def test_gifts_refuse_nonsense_amounts_and_anonymous_senders(service: HordeService) -> None:
    sender = await make_user(service, "giver2", kudos=100)
    for amount in (0.0, -5.0, float("nan")):
        with pytest.raises(errors.NegativeKudosTransferError):
            await service.discord.gift(sender, "777", amount)
    anonymous = await service.users.authenticate(ANONYMOUS_API_KEY)
    with pytest.raises(errors.KudosTransferFromAnonError):
        await service.discord.gift(anonymous, "777", 5)


async def test_a_linked_key_is_stored_sealed_and_a_changed_key_breaks_the_link(service: HordeService) -> None:
    created = await service.users.create_user(SYSTEM, "linked", kudos=5)
    info = await service.discord.login("888", created.api_key)
    assert info.username == "linked"
    async with service.ctx.db.read() as conn:
        sealed = await conn.scalar(sa.select(tables.discord_links.c.api_key_sealed))
    assert created.api_key not in str(sealed)
    assert (await service.discord.actor("888", "x")).user_id == info.id

    await service.users.reset_api_key(await service.discord.actor("888", "x"))
    with pytest.raises(errors.LinkBrokenError):
        await service.discord.actor("888", "x")
    assert await service.discord.logout("888")
    assert (await service.discord.actor("888", "x")).user_id != info.id  # their own pseudonymous account again


async def test_blocked_words_match_without_case_or_accents_but_not_inside_words(service: HordeService) -> None:
    await service.discord.update_guild(GUILD, can_manage=True, blocked_words=["café"])
    with pytest.raises(errors.BlockedWordError):
        await generate(service, "999", "a CAFE at night")
    await generate(service, "999", "a cafeteria at night")
    with pytest.raises(errors.NotManagerError):
        await service.discord.update_guild(GUILD, can_manage=False, blocked_words=[])
