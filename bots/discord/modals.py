"""Modals: the API key for /login (never seen in the channel), and /advanced's text fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from horde.bots.discord import errors as bot_errors
from horde.queue import errors

if TYPE_CHECKING:
    from horde.bots.discord.client import HordeBot


class LoginModal(discord.ui.Modal, title="Link your Horde account"):
    api_key: discord.ui.TextInput[LoginModal] = discord.ui.TextInput(
        label="API key", placeholder="From the Horde's account page", min_length=10, max_length=100
    )

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        bot: HordeBot = interaction.client
        try:
            user = await bot.service.discord.login(str(interaction.user.id), self.api_key.value)
        except errors.HordeError as exc:
            await bot_errors.reply_horde_error(interaction, exc)
            return
        await interaction.response.send_message(
            f"Linked to **{user.display_name}** ({user.kudos:g} kudos). The key is stored encrypted; "
            "/logout forgets it.",
            ephemeral=True,
        )
