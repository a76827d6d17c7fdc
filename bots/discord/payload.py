"""The application-command payload that ``tree.sync()`` sends, made without connecting (``--print-commands``)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from horde.bots.discord.client import HordeBot
from horde.bots.discord.settings import DiscordSettings
from horde.queue.service import HordeService


async def _payload(settings: DiscordSettings) -> list[dict[str, Any]]:
    bot = HordeBot(cast(HordeService, None), settings)  # the commands never run here: no service is needed
    await bot.load_features()
    return [command.to_dict(bot.tree) for command in bot.tree._get_all_commands()]


def command_payload(settings: DiscordSettings | None = None) -> list[dict[str, Any]]:
    return asyncio.run(_payload(settings or DiscordSettings(_env_file=None)))
