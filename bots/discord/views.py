"""Buttons on public messages. Each is a ``DynamicItem``: its state lives in its ``custom_id`` (at most 100
characters), so the buttons keep working after the bot restarts."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from horde.bots.discord import errors as bot_errors
from horde.queue import errors
from horde.queue.service import Rating

if TYPE_CHECKING:
    from horde.bots.discord.client import HordeBot

RID = r"(?P<rid>[0-9a-f-]{36})"
OWNER = r"(?P<owner>[0-9]{1,20})"
NOT_YOURS = "That is not your request: only the person who asked for it can do that."


def _bot(interaction: discord.Interaction[Any]) -> HordeBot:
    return interaction.client  # type: ignore[no-any-return]


async def _guard_owner(interaction: discord.Interaction[Any], owner: int) -> bool:
    if interaction.user.id == owner:
        return True
    await interaction.response.send_message(NOT_YOURS, ephemeral=True)
    return False


class CancelButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"horde:cancel:{RID}:{OWNER}"):
    def __init__(self, request_id: str, owner: int) -> None:
        self.request_id, self.owner = request_id, owner
        button: discord.ui.Button[Any] = discord.ui.Button(
            label="Cancel", style=discord.ButtonStyle.danger, custom_id=f"horde:cancel:{request_id}:{owner}"
        )
        super().__init__(button)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> CancelButton:
        return cls(match["rid"], int(match["owner"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        if not await _guard_owner(interaction, self.owner):
            return
        bot = _bot(interaction)
        try:
            actor = await bot.actor_for(interaction.user)
            await bot.service.requests.cancel(actor, self.request_id)
        except errors.HordeError as exc:
            await bot_errors.reply_horde_error(interaction, exc)
            return
        await interaction.response.edit_message(content="Cancelling…", view=None)
        bot.wake(self.request_id)


class RerollButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"horde:reroll:{RID}"):
    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        button: discord.ui.Button[Any] = discord.ui.Button(
            label="Reroll", emoji="🎲", style=discord.ButtonStyle.primary, custom_id=f"horde:reroll:{request_id}"
        )
        super().__init__(button)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RerollButton:
        return cls(match["rid"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        from horde.bots.discord import flows

        bot = _bot(interaction)
        try:
            before = await bot.service.requests.status(None, self.request_id, with_generations=False)
        except errors.HordeError as exc:
            await bot_errors.reply_horde_error(interaction, exc)
            return
        await flows.generate(interaction, flows.reroll_ask(before))


class DeleteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"horde:delete:{OWNER}"):
    def __init__(self, owner: int) -> None:
        self.owner = owner
        button: discord.ui.Button[Any] = discord.ui.Button(
            label="Delete", emoji="🗑️", style=discord.ButtonStyle.secondary, custom_id=f"horde:delete:{owner}"
        )
        super().__init__(button)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> DeleteButton:
        return cls(int(match["owner"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        if not await _guard_owner(interaction, self.owner):
            return
        await interaction.response.defer()
        await interaction.delete_original_response()


class RateButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"horde:rate:{RID}:(?P<score>[0-9]+)"):
    def __init__(self, request_id: str, score: int) -> None:
        self.request_id, self.score = request_id, score
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=str(score), style=discord.ButtonStyle.secondary, custom_id=f"horde:rate:{request_id}:{score}"
        )
        super().__init__(button)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RateButton:
        return cls(match["rid"], int(match["score"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot = _bot(interaction)
        try:
            actor = await bot.actor_for(interaction.user)
            status = await bot.service.requests.status(actor, self.request_id)
            if not status.generations:
                raise errors.InvalidJobIdError("This request has no image to rate.")
            rating = Rating(job_id=status.generations[0].id, rating=self.score)
            reward = await bot.service.ratings.rate(actor, self.request_id, ratings=(rating,))
        except errors.HordeError as exc:
            await bot_errors.reply_horde_error(interaction, exc)
            return
        left = len(await bot.service.ratings.unrated(actor))
        more = f" {left} more shared image(s) wait for a rating: /rate." if left else ""
        await interaction.response.send_message(f"Thanks for rating: +{reward:g} kudos.{more}", ephemeral=True)


DYNAMIC_ITEMS = (CancelButton, RerollButton, DeleteButton, RateButton)


def progress_view(request_id: str, owner: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(CancelButton(request_id, owner))
    return view


def result_view(request_id: str, owner: int, *, rateable: bool) -> discord.ui.View:
    """Reroll and Delete; 1-10 rating buttons in two more rows (3 of Discord's 5 rows) for one shared image."""
    view = discord.ui.View(timeout=None)
    view.add_item(RerollButton(request_id))
    view.add_item(DeleteButton(owner))
    if rateable:
        _add_rate_buttons(view, request_id, first_row=1)
    return view


def rating_view(request_id: str) -> discord.ui.View:
    """1-10 in two rows of five, for ``/rate``."""
    view = discord.ui.View(timeout=None)
    _add_rate_buttons(view, request_id, first_row=0)
    return view


def _add_rate_buttons(view: discord.ui.View, request_id: str, *, first_row: int) -> None:
    for score in range(1, 11):
        button = RateButton(request_id, score)
        button.item.row = first_row if score <= 5 else first_row + 1
        view.add_item(button)
