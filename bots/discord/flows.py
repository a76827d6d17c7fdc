"""Asking for images: decide at once (refusals are ephemeral), else defer publicly and follow the request."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import discord

from horde.bots.discord import errors as bot_errors
from horde.queue import dto, errors
from horde.queue.service import GenerationAsk

if TYPE_CHECKING:
    from horde.bots.discord.client import HordeBot

#: Discord wants an answer within 3 s; a refusal must come before a public defer, so the decision gets most of it
DECIDE_WITHIN = 2.0


def is_nsfw_channel(channel: Any) -> bool:
    """Age-restricted channels (and threads in them); never a DM."""
    is_nsfw = getattr(channel, "is_nsfw", None)
    return bool(is_nsfw()) if callable(is_nsfw) else False


def reroll_ask(before: dto.RequestStatus) -> GenerationAsk:
    params = {k: v for k, v in before.params.items() if k != "seed"}
    return GenerationAsk(prompt=before.prompt, params=params, models=before.models, shared=before.shared)


async def generate(interaction: discord.Interaction[Any], ask: GenerationAsk) -> None:
    """Queue ``ask`` for the interaction's user under its guild's rules, then follow it in a public message."""
    bot: HordeBot = interaction.client

    async def submit() -> dto.RequestCreated:
        actor = await bot.actor_for(interaction.user)
        return await bot.service.discord.generate(
            actor,
            ask,
            guild_id=str(interaction.guild_id) if interaction.guild_id else None,
            discord_id=str(interaction.user.id),
            channel_nsfw=is_nsfw_channel(interaction.channel),
        )

    task = asyncio.ensure_future(submit())
    done, _ = await asyncio.wait({task}, timeout=DECIDE_WITHIN)
    if not done:  # a slow database: keep the interaction alive; a refusal will then be the public message itself
        await interaction.response.defer(thinking=True)
    try:
        created = await task
    except errors.HordeError as exc:
        await bot_errors.reply_horde_error(interaction, exc)
        return
    if not interaction.response.is_done():
        await interaction.response.defer(thinking=True)
    bot.follow(interaction, created.id)
