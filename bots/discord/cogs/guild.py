"""``/settings``: each guild's own rules, set by its managers (Manage Server)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from horde.bots.discord import errors as bot_errors
from horde.bots.discord.cogs import _choices
from horde.queue.service import GuildSettings

if TYPE_CHECKING:
    from horde.bots.discord.client import HordeBot

CLEAR = "-"


def settings_embed(settings: GuildSettings) -> discord.Embed:
    embed = discord.Embed(title="Settings of this server", colour=discord.Colour.dark_teal())
    words = ", ".join(settings.blocked_words) or "none"
    embed.add_field(name="Blocked words", value=words[:1024], inline=False)
    limit = (
        f"{settings.rate_limit_count} per {settings.rate_limit_seconds} s per person"
        if settings.rate_limit_count
        else "off"
    )
    embed.add_field(name="Rate limit", value=limit)
    embed.add_field(name="Default model", value=settings.default_model or "any")
    embed.add_field(name="Default style", value=settings.default_style or "none")
    embed.add_field(name="People without /login may generate", value="yes" if settings.allow_anonymous else "no")
    return embed


def parse_rate_limit(text: str) -> tuple[int, int] | None:
    """``5/60`` (5 per 60 s) or ``off``."""
    if text.strip().lower() in ("off", "0", CLEAR):
        return 0, 60
    count, _, seconds = text.partition("/")
    try:
        return int(count), int(seconds or 60)
    except ValueError:
        return None


class GuildCog(commands.Cog):
    def __init__(self, bot: HordeBot) -> None:
        self.bot = bot

    @app_commands.command(name="settings", description="Show or change this server's rules for the bot.")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.describe(
        blocked_words="Comma-separated words refused in prompts ('-' clears)",
        rate_limit="Generations per person, as COUNT/SECONDS (e.g. 5/60), or 'off'",
        default_model="Model used when /generate names none ('-' clears)",
        default_style="Style used when /generate names none ('-' clears)",
        allow_anonymous="Whether people who never ran /login may generate",
    )
    @app_commands.autocomplete(default_model=_choices.models, default_style=_choices.styles)
    async def guild_settings(
        self,
        interaction: discord.Interaction[Any],
        blocked_words: app_commands.Range[str, 1, 2000] | None = None,
        rate_limit: app_commands.Range[str, 1, 20] | None = None,
        default_model: app_commands.Range[str, 1, 100] | None = None,
        default_style: app_commands.Range[str, 1, 100] | None = None,
        allow_anonymous: bool | None = None,
    ) -> None:
        guild_id = str(interaction.guild_id)
        changes: dict[str, Any] = {}
        if blocked_words is not None:
            changes["blocked_words"] = [] if blocked_words.strip() == CLEAR else blocked_words.split(",")
        if rate_limit is not None:
            parsed = parse_rate_limit(rate_limit)
            if parsed is None:
                await bot_errors.reply_error(interaction, "⚠️ A rate limit is COUNT/SECONDS, like 5/60, or 'off'.")
                return
            changes["rate_limit_count"], changes["rate_limit_seconds"] = parsed
        for name, value in (("default_model", default_model), ("default_style", default_style)):
            if value is not None:
                changes[name] = None if value.strip() == CLEAR else value.strip()
        if allow_anonymous is not None:
            changes["allow_anonymous"] = allow_anonymous
        can_manage = interaction.permissions.manage_guild
        if changes:
            settings = await self.bot.service.discord.update_guild(guild_id, can_manage=can_manage, **changes)
        else:
            settings = await self.bot.service.discord.guild(guild_id)
        await interaction.response.send_message(embed=settings_embed(settings), ephemeral=True)


async def setup(bot: HordeBot) -> None:
    await bot.add_cog(GuildCog(bot))
