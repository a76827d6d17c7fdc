"""Running the Mastodon bot on its own thread and event loop, beside the server (``horde run``) or alone
(``horde bot mastodon``). It reads mentions from the streaming API, polls the notifications as well (so it
carries on when streaming is unavailable), and reopens the stream on its own.

Only one process per account does the work: the bot first takes the lease of its instance and token
(``service.bot_leases``), and a second copy waits for it. A copy starting beside a working one would otherwise take
up the mentions that one has taken on and not yet answered, and answer them again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import Any

from mastodon import Mastodon, StreamListener

from horde.bots.mastodon.api import RETRIABLE, Api
from horde.bots.mastodon.bot import MastodonBot
from horde.bots.mastodon.settings import MastodonSettings
from horde.queue.service import HordeService
from horde.queue.settings import CoreSettings

logger = logging.getLogger(__name__)


class _Wake(StreamListener):
    """A mention on the stream wakes the poll at once; the poll does the work (once, whatever the stream does)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, event: asyncio.Event) -> None:
        self.loop, self.event = loop, event

    def on_notification(self, notification: Any) -> None:
        self.loop.call_soon_threadsafe(self.event.set)


class BotThread(threading.Thread):
    def __init__(self, core: CoreSettings, settings: MastodonSettings, *, backoff: float = 1.0) -> None:
        super().__init__(name="horde-mastodon-bot", daemon=True)
        if not settings.base_url or settings.token is None:
            raise ValueError("HORDE_MASTODON_BASE_URL and HORDE_MASTODON_TOKEN are not set")
        self.core, self.settings, self.backoff = core, settings, backoff
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._stream: Any = None
        self._main_task: asyncio.Task[None] | None = None
        self._leased = False
        self._stop_asked = threading.Event()

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except asyncio.CancelledError:
            if not self._stop_asked.is_set():
                self.error = RuntimeError("the Mastodon bot was cancelled")
        except BaseException as exc:
            self.error = exc
            logger.exception("mastodon_bot_stopped", extra={"action": "mastodon_bot_stopped"})
        finally:
            self.ready.set()

    async def _main(self) -> None:
        self.loop, self._main_task = asyncio.get_running_loop(), asyncio.current_task()
        self._stopping = asyncio.Event()
        assert self.settings.token is not None  # noqa: S101 - checked in __init__
        token = self.settings.token.get_secret_value()
        service = HordeService.open(self.core)
        try:
            async with service.bot_leases.hold("mastodon", f"{self.settings.base_url} {token}") as lease:
                self._leased = True
                lost = asyncio.ensure_future(lease.lost())
                lost.add_done_callback(lambda _: self._stopping.set() if self._stopping else None)
                try:
                    await self._work(service, Mastodon(access_token=token, api_base_url=self.settings.base_url))
                finally:
                    lost.cancel()
                if lost.done() and not lost.cancelled():
                    raise RuntimeError("the Mastodon bot lost its lease (its database connection broke)")
        finally:
            if self._stream is not None:
                with contextlib.suppress(Exception):
                    self._stream.close()
            await service.close()

    async def _work(self, service: HordeService, client: Mastodon) -> None:
        """Answer mentions until stopped."""
        assert self._stopping is not None  # noqa: S101 - set in _main
        wake = asyncio.Event()
        bot = MastodonBot(service, self.settings, Api(client, backoff=self.backoff))
        await self._start(bot)
        while not self._stopping.is_set():
            self._keep_streaming(client, wake)
            try:
                await bot.catch_up()
                await bot.retry_due()
            except Exception:
                logger.warning("mastodon_poll_failed", exc_info=True, extra={"action": "mastodon_poll_failed"})
            self.ready.set()  # after the first look at the notifications
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_first(wake, self._stopping), timeout=self.settings.poll_interval)
        for task in list(bot.tasks):
            task.cancel()

    async def _start(self, bot: MastodonBot) -> None:
        """Who the bot is, and the mentions a restart left: tried until the instance answers (a wrong token or
        address is an error at once), or the bot is stopped."""
        assert self._stopping is not None  # noqa: S101 - set in _main
        wait = self.backoff
        while not self._stopping.is_set():
            try:
                await bot.start()
                await bot.resume()
                return
            except RETRIABLE:
                logger.warning("mastodon_start_failed", exc_info=True, extra={"action": "mastodon_start_failed"})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=wait)
            wait = min(2 * wait, 300.0)

    def _keep_streaming(self, client: Mastodon, wake: asyncio.Event) -> None:
        """Open the user stream if it is not open (Mastodon.py reconnects an open one by itself)."""
        if not self.settings.streaming or (self._stream is not None and self._stream.is_alive()):
            return
        try:
            assert self.loop is not None  # noqa: S101 - set in _main
            self._stream = client.stream_user(_Wake(self.loop, wake), run_async=True, reconnect_async=True)
        except Exception:  # noqa: BLE001 - no streaming API: polling carries on
            self._stream = None
            logger.info("mastodon_stream_unavailable", extra={"action": "mastodon_stream_unavailable"})

    def streaming(self) -> bool:
        """Whether the user stream is connected and receiving."""
        return self._stream is not None and bool(self._stream.is_receiving())

    def stop(self, timeout: float = 10.0) -> None:
        self._stop_asked.set()
        if self.loop is not None and self._stopping is not None and not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self._stopping.set)
                if not self._leased and self._main_task is not None:  # still waiting for the lease: stop waiting
                    self.loop.call_soon_threadsafe(self._main_task.cancel)
        self.join(timeout)


async def _first(*events: asyncio.Event) -> None:
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
