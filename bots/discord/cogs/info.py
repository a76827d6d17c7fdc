"""``/models`` and ``/status``: what the horde serves, and where the caller's requests stand."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from horde.bots.discord import embeds
from horde.bots.discord.cogs import _choices

if TYPE_CHECKING:
    from horde.bots.discord.client import HordeBot

DESCRIPTION_LIMIT = 4096


class InfoCog(commands.Cog):
    def __init__(self, bot: HordeBot) -> None:
        self.bot = bot

    @app_commands.command(name="models", description="Image models: online workers, queue and speed.")
    @app_commands.describe(model="One model's details")
    @app_commands.autocomplete(model=_choices.models)
    async def info_models(self, interaction: discord.Interaction[Any], model: str | None = None) -> None:
        rows = await _choices.model_rows(self.bot)
        if model:
            rows = [r for r in rows if r.name == model]
        lines = [
            f"**{r.name}**: {r.workers} workers, {r.queued} queued, ETA {r.eta} s, up to {r.max_pixels:,} px"
            for r in rows
        ]
        text = "\n".join(lines) or "No model is served or queued right now."
        embed = discord.Embed(title="Models", description=embeds.clip(text, DESCRIPTION_LIMIT))
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="status", description="The horde's queue and workers, and your own requests.")
    async def info_status(self, interaction: discord.Interaction[Any]) -> None:
        actor = await self.bot.actor_for(interaction.user)
        perf = await self.bot.service.stats.performance()
        mine = await self.bot.service.requests.history(actor, limit=5)
        embed = discord.Embed(title="Horde status")
        embed.add_field(name="Queued images", value=str(perf.queued_requests))
        embed.add_field(name="Workers", value=f"{perf.worker_count} ({perf.thread_count} threads)")
        embed.add_field(name="Megapixelsteps queued", value=f"{perf.queued_megapixelsteps:g}")
        if mine:
            lines = [f"`{r.id[:8]}` {r.state}: {r.finished}/{r.n} done · {embeds.clip(r.prompt, 60)}" for r in mine]
            embed.add_field(name="Your latest requests", value="\n".join(lines)[:1024], inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: HordeBot) -> None:
    await bot.add_cog(InfoCog(bot))
