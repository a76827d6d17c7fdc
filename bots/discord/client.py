"""``HordeBot``: discord.py's ``commands.Bot`` holding the service, pointed at Discord or a compatible server."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
import yarl
from discord.ext import commands

from horde.bots.discord import errors as bot_errors, views
from horde.bots.discord.cogs import EXTENSIONS
from horde.bots.discord.progress import ProgressEditor
from horde.bots.discord.settings import DISCORD_API, DiscordSettings
from horde.queue.dto import Actor
from horde.queue.service import HordeService

logger = logging.getLogger(__name__)


def point_at(api_url: str) -> None:
    """discord.py builds every REST URL from ``Route.BASE``; set it before logging in."""
    discord.http.Route.BASE = api_url.rstrip("/")


class HordeBot(commands.Bot):
    def __init__(self, service: HordeService, settings: DiscordSettings) -> None:
        # no privileged intent: slash commands, components, modals and reactions need none
        super().__init__(command_prefix=commands.when_mentioned, intents=discord.Intents.default(), help_command=None)
        self.service = service
        self.settings = settings
        self.tree.error(bot_errors.on_app_command_error)
        self._following: dict[str, ProgressEditor] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def load_features(self) -> None:
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.add_dynamic_items(*views.DYNAMIC_ITEMS)

    async def setup_hook(self) -> None:
        if self.settings.api_url.rstrip("/") != DISCORD_API:
            # a plain Client connects to a fixed gateway and never asks; a compatible server says where its is
            _, url, _ = await self.http.get_bot_gateway()
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
        await self.load_features()
        if self.settings.sync_commands:
            await self.tree.sync()

    async def login(self, token: str) -> None:
        point_at(self.settings.api_url)
        await super().login(token)

    async def actor_for(self, user: discord.abc.User) -> Actor:
        """The Horde account a Discord user acts as: their linked one, else their own pseudonymous one."""
        return await self.service.discord.actor(str(user.id), user.display_name)

    def follow(self, interaction: discord.Interaction[Any], request_id: str) -> None:
        """Edit the interaction's public message with the request's progress until it is done."""
        editor = ProgressEditor(self, interaction, request_id)
        self._following[request_id] = editor
        task = asyncio.create_task(editor.run())
        self._tasks.add(task)

        def done(_: asyncio.Task[None]) -> None:
            self._tasks.discard(task)
            self._following.pop(request_id, None)

        task.add_done_callback(done)

    def wake(self, request_id: str) -> None:
        """Look at a followed request now (after a cancel) rather than at the next interval."""
        editor = self._following.get(request_id)
        if editor is not None:
            editor.woken.set()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await super().close()
