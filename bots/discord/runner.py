"""Running the bot on its own event loop, in a thread, so neither the web server nor a local worker can delay
an acknowledgement. ``horde bot discord`` runs it in the foreground; ``horde run`` beside the server."""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import Future

from horde.bots.discord.client import HordeBot
from horde.bots.discord.settings import DiscordSettings
from horde.queue.service import HordeService
from horde.queue.settings import CoreSettings

logger = logging.getLogger(__name__)


class BotThread(threading.Thread):
    """The bot and its own ``HordeService`` on a private event loop; ``stop()`` closes both."""

    def __init__(self, core: CoreSettings, settings: DiscordSettings) -> None:
        super().__init__(name="horde-discord-bot", daemon=True)
        if settings.token is None:
            raise ValueError("HORDE_DISCORD_TOKEN is not set")
        self.core = core
        # replies link to the web pages: the bot's own setting, else the address the server is published at
        self.settings = settings.model_copy(update={"web_url": settings.web_url or getattr(core, "public_url", None)})
        self.ready = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.bot: HordeBot | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:
            self.error = exc
            logger.exception("discord_bot_stopped", extra={"action": "discord_bot_stopped"})
        finally:
            self.ready.set()

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        service = HordeService.open(self.core)
        try:
            async with HordeBot(service, self.settings) as bot:
                self.bot = bot
                bot.add_listener(self._on_ready, "on_ready")
                assert self.settings.token is not None  # noqa: S101 - checked in __init__
                await bot.start(self.settings.token.get_secret_value())
        finally:
            await service.close()

    async def _on_ready(self) -> None:
        self.ready.set()

    def stop(self, timeout: float = 10.0) -> None:
        if self.loop is not None and self.bot is not None and not self.loop.is_closed():
            future: Future[None] = asyncio.run_coroutine_threadsafe(self.bot.close(), self.loop)
            try:
                future.result(timeout)
            except (RuntimeError, TimeoutError):
                logger.warning("discord_bot_close_slow", extra={"action": "discord_bot_close_slow"})
        self.join(timeout)
