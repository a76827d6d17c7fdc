"""``/rate``: your shared images, one at a time, rated 1-10 for kudos (AI Horde's aesthetic ratings)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from horde.bots.discord import views

if TYPE_CHECKING:
    from horde.bots.discord.client import HordeBot

NOTHING_TO_RATE = (
    "Nothing to rate. Images you make with `share:true` can be rated here, once each, for kudos; "
    "sharing also gives your requests a small discount."
)


class RatingCog(commands.Cog):
    def __init__(self, bot: HordeBot) -> None:
        self.bot = bot

    @app_commands.command(name="rate", description="Rate your shared images 1-10 and earn kudos.")
    async def rate(self, interaction: discord.Interaction[Any]) -> None:
        actor = await self.bot.actor_for(interaction.user)
        waiting = await self.bot.service.ratings.unrated(actor)
        for request_id in waiting:
            status = await self.bot.service.requests.status(actor, request_id)
            shown = [(g.id, g.result_key) for g in status.generations if g.result_key and not g.censored]
            data = await self.bot.service.results.load(shown[0][1]) if shown else None
            if data is None:
                continue
            image_id = shown[0][0]
            more = f" ({len(waiting) - 1} more after this one)" if len(waiting) > 1 else ""
            embed = discord.Embed(title=status.prompt.partition("###")[0].strip()[:256] or "Your image")
            embed.set_image(url=f"attachment://{image_id}.webp")
            embed.set_footer(text=f"How good is it, 1 to 10?{more}")
            await interaction.response.send_message(
                embed=embed,
                file=discord.File(io.BytesIO(data), filename=f"{image_id}.webp"),
                view=views.rating_view(request_id),
                ephemeral=True,
            )
            return
        await interaction.response.send_message(NOTHING_TO_RATE, ephemeral=True)


async def setup(bot: HordeBot) -> None:
    await bot.add_cog(RatingCog(bot))
