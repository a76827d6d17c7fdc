"""The bot's features, one cog each; ``EXTENSIONS`` lists them in load order."""

from __future__ import annotations

EXTENSIONS = (
    "horde.bots.discord.cogs.generate",
    "horde.bots.discord.cogs.advanced",
    "horde.bots.discord.cogs.account",
    "horde.bots.discord.cogs.info",
    "horde.bots.discord.cogs.guild",
    "horde.bots.discord.cogs.gifts",
    "horde.bots.discord.cogs.rating",
)
