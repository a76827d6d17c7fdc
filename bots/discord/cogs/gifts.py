"""Reacting to a result with the configured emoji gifts kudos to the person who asked for it; both are told."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from horde.bots.discord import errors as bot_errors
from horde.queue import errors

if TYPE_CHECKING:
    from horde.bots.discord.client import HordeBot

logger = logging.getLogger(__name__)
OWNER_IN_BUTTON = re.compile(r"^horde:delete:(?P<owner>[0-9]+)$")


def requester_of(message: discord.Message) -> int | None:
    """The requester of a result message, from its Delete button's ``custom_id``."""
    for row in message.components:
        for item in getattr(row, "children", ()):
            match = OWNER_IN_BUTTON.match(getattr(item, "custom_id", None) or "")
            if match:
                return int(match["owner"])
    return None


class GiftsCog(commands.Cog):
    def __init__(self, bot: HordeBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        me = self.bot.user
        if me is None or payload.user_id == me.id or str(payload.emoji) != self.bot.settings.gift_emoji:
            return
        if payload.message_author_id not in (None, me.id):
            return
        channel = self.bot.get_partial_messageable(payload.channel_id)
        try:
            message = await channel.fetch_message(payload.message_id)
        except discord.HTTPException:
            return
        owner = requester_of(message)
        if owner is None or owner == payload.user_id:
            return
        await self._gift(payload, owner)

    async def _gift(self, payload: discord.RawReactionActionEvent, owner: int) -> None:
        giver = payload.member or await self.bot.fetch_user(payload.user_id)
        amount = self.bot.settings.gift_amount
        try:
            actor = await self.bot.actor_for(giver)
            gift = await self.bot.service.discord.gift(actor, str(owner), amount)
        except errors.HordeError as exc:
            await self._tell(payload.user_id, bot_errors.message_for(exc))
            return
        if gift.delivered:
            await self._tell(payload.user_id, f"You gave {amount:g} kudos to <@{owner}>.")
            await self._tell(owner, f"<@{payload.user_id}> gave you {amount:g} kudos for your image.")
        else:
            await self._tell(payload.user_id, f"<@{owner}> has not used the bot yet; the kudos wait a week for them.")
            await self._tell(owner, f"<@{payload.user_id}> gave you {amount:g} kudos: use any command within a week.")

    async def _tell(self, user_id: int, text: str) -> None:
        try:
            user = await self.bot.fetch_user(user_id)
            await user.send(text)
        except discord.HTTPException:
            logger.info("discord_dm_failed", extra={"action": "discord_dm_failed"})


async def setup(bot: HordeBot) -> None:
    await bot.add_cog(GiftsCog(bot))
