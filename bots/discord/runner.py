"""Running the bot on its own event loop, in a thread, so neither the web server nor a local worker can delay
an acknowledgement. ``horde bot discord`` runs it in the foreground; ``horde run`` beside the server.

Only one process per token connects to Discord: the bot first takes its token's lease (``service.bot_leases``), and
a second copy waits for it. Discord sends every command to every connected copy, and each would act on it."""

from __future__ import annotations

import asyncio
import contextlib
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
        self._main_task: asyncio.Task[None] | None = None
        self._stop_asked = threading.Event()

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except asyncio.CancelledError:
            if not self._stop_asked.is_set():
                self.error = RuntimeError("the Discord bot was cancelled")
        except BaseException as exc:
            self.error = exc
            logger.exception("discord_bot_stopped", extra={"action": "discord_bot_stopped"})
        finally:
            self.ready.set()

    async def _main(self) -> None:
        self.loop, self._main_task = asyncio.get_running_loop(), asyncio.current_task()
        assert self.settings.token is not None  # noqa: S101 - checked in __init__
        token = self.settings.token.get_secret_value()
        service = HordeService.open(self.core)
        try:
            async with service.bot_leases.hold("discord", token) as lease, HordeBot(service, self.settings) as bot:
                self.bot = bot
                bot.add_listener(self._on_ready, "on_ready")
                running, lost = asyncio.ensure_future(bot.start(token)), asyncio.ensure_future(lease.lost())
                await asyncio.wait({running, lost}, return_when=asyncio.FIRST_COMPLETED)
                lost.cancel()
                if not running.done():  # another copy may connect now: this one must not act on anything more
                    await bot.close()
                    await asyncio.wait({running})
                    raise RuntimeError("the Discord bot lost its lease (its database connection broke)")
                running.result()
        finally:
            await service.close()

    async def _on_ready(self) -> None:
        self.ready.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop_asked.set()
        if self.loop is not None and self.bot is not None and not self.loop.is_closed():
            future: Future[None] = asyncio.run_coroutine_threadsafe(self.bot.close(), self.loop)
            try:
                future.result(timeout)
            except (RuntimeError, TimeoutError):
                logger.warning("discord_bot_close_slow", extra={"action": "discord_bot_close_slow"})
        elif self.loop is not None and self._main_task is not None and not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):  # still waiting for the lease: stop waiting
                self.loop.call_soon_threadsafe(self._main_task.cancel)
        self.join(timeout)
