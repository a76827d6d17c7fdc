"""Following a request: the public message is edited every few seconds, then becomes the result.

An interaction token lasts 15 minutes. A longer wait moves to a channel message, which the bot may edit for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import time
from typing import TYPE_CHECKING, Any

import discord

from horde.bots.discord import embeds, views
from horde.queue import dto, errors

if TYPE_CHECKING:
    from horde.bots.discord.client import HordeBot

logger = logging.getLogger(__name__)

TOKEN_LIFETIME = 14 * 60.0  #: seconds an interaction token is used for; Discord's limit is 15 minutes
EXPIRED_TOKEN = (401, 404)  #: "Invalid Webhook Token", "Unknown Webhook": the token ended before our clock said


#: finished images as (file name, bytes): a ``discord.File`` is closed once sent, so each attempt makes its own
Images = list[tuple[str, bytes]]


def _attachments(images: Images | None) -> dict[str, Any]:
    if images is None:
        return {}
    return {"attachments": [discord.File(io.BytesIO(data), filename=name) for name, data in images]}


class _Target:
    """Where progress goes: the interaction's original response, then (once its token has expired) a channel
    message, which the bot may edit for ever."""

    def __init__(self, interaction: discord.Interaction[Any]) -> None:
        self.interaction = interaction
        self.message: discord.Message | None = None
        self.started = time.monotonic()

    async def show(self, images: Images | None = None, **fields: Any) -> None:
        """Show ``fields`` (and ``images`` as attachments) on the message the request is followed in."""
        if self.message is not None:
            self.message = await self.message.edit(**fields, **_attachments(images))
            return
        if time.monotonic() - self.started < TOKEN_LIFETIME:
            try:
                await self.interaction.edit_original_response(**fields, **_attachments(images))
                return
            except discord.HTTPException as exc:
                if exc.status not in EXPIRED_TOKEN:
                    raise
        await self._move_to_channel(fields, images)

    async def _move_to_channel(self, fields: dict[str, Any], images: Images | None) -> None:
        with contextlib.suppress(discord.HTTPException):  # the token may be gone already
            await self.interaction.edit_original_response(
                content="Still working: Discord lets me edit this message for 15 minutes, so the rest follows below.",
                view=None,
            )
        channel = self.interaction.channel
        if not isinstance(channel, discord.abc.Messageable):
            raise errors.HordeError("This channel takes no messages.")
        sent = {k: v for k, v in fields.items() if k != "content" and not (k == "view" and v is None)}
        if images:
            sent["files"] = _attachments(images)["attachments"]
        self.message = await channel.send(content=self.interaction.user.mention, **sent)


class ProgressEditor:
    def __init__(self, bot: HordeBot, interaction: discord.Interaction[Any], request_id: str) -> None:
        self.bot = bot
        self.interaction = interaction
        self.request_id = request_id
        self.owner = interaction.user.id
        self.requester = interaction.user.display_name
        self.woken = asyncio.Event()
        self.target = _Target(interaction)

    async def run(self) -> None:
        try:
            status = await self._follow()
            await self._finish(status)
        except (discord.HTTPException, errors.HordeError):
            logger.warning("discord_progress_failed", exc_info=True, extra={"action": "discord_progress_failed"})

    async def _follow(self) -> dto.RequestStatus:
        service = self.bot.service
        last: tuple[Any, ...] | None = None
        while True:
            status = await service.requests.status(None, self.request_id, with_generations=False)
            if status.done or status.cancelled or status.faulted:
                return status
            shown = (status.queue_position, status.wait_time, status.finished, status.processing, status.is_possible)
            if shown != last:
                await self.target.show(
                    content=None,
                    embed=embeds.progress(status, self.requester),
                    view=views.progress_view(self.request_id, self.owner),
                )
                last = shown
            self.woken.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.woken.wait(), timeout=self.bot.settings.progress_interval)

    async def _finish(self, status: dto.RequestStatus) -> None:
        status = await self.bot.service.requests.status(None, self.request_id)
        files, left_out = await self._files(status)
        rateable = status.shared and len(files) == 1 and not status.cancelled
        await self.target.show(
            images=files,
            content=None,
            embed=embeds.result(status, self.requester, left_out=left_out, web_url=self.bot.settings.web_url),
            view=views.result_view(self.request_id, self.owner, rateable=rateable) if files else None,
        )

    async def _files(self, status: dto.RequestStatus) -> tuple[Images, int]:
        """The finished images within the interaction's upload limit; how many did not fit."""
        limit = self.interaction.filesize_limit
        files: Images = []
        used = left_out = 0
        for gen in status.generations:
            if gen.censored or not gen.result_key:
                continue
            data = await self.bot.service.results.load(gen.result_key)
            if data is None:
                continue
            if used + len(data) > limit or len(files) == 10:
                left_out += 1
                continue
            used += len(data)
            files.append((f"{gen.id}.webp", data))
        return files, left_out
