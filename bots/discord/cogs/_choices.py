"""Autocomplete and choices shared by the cogs (Discord shows at most 25 of each; names and values ≤ 100)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from horde.queue import dto
from horde.queue.service import GenerationKind

if TYPE_CHECKING:
    from horde.bots.discord.client import HordeBot

LIMIT = 25
#: (label, width, height); the first that online workers of the model take is the default
SIZES = (
    ("Square 512×512", 512, 512),
    ("Portrait 512×768", 512, 768),
    ("Landscape 768×512", 768, 512),
    ("Wide 896×512", 896, 512),
    ("Square 768×768", 768, 768),
    ("Square 1024×1024 (needs kudos up front)", 1024, 1024),
    ("Tiny 64×64", 64, 64),
)
SIZE_CHOICES = [app_commands.Choice(name=label, value=f"{w}x{h}") for label, w, h in SIZES]


def model_label(row: dto.ModelStatus) -> str:
    return f"{row.name} | {row.workers} workers | {row.queued} queued"[:100]


async def model_rows(bot: HordeBot) -> list[dto.ModelStatus]:
    rows = await bot.service.stats.models(GenerationKind.IMAGE.value)
    return sorted(rows, key=lambda r: (-r.workers, -r.queued, r.name))


async def models(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
    bot: HordeBot = interaction.client
    rows = [r for r in await model_rows(bot) if current.casefold() in r.name.casefold()]
    return [app_commands.Choice(name=model_label(r), value=r.name[:100]) for r in rows[:LIMIT]]


async def styles(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
    bot: HordeBot = interaction.client
    rows = await bot.service.styles.listing(GenerationKind.IMAGE)
    found = [s for s in rows if current.casefold() in s.name.casefold()]
    return [app_commands.Choice(name=s.name[:100], value=s.name[:100]) for s in found[:LIMIT]]


def served_size(rows: list[dto.ModelStatus], model: str | None) -> tuple[int, int]:
    """512×512, unless the online workers of the model (or of any model) take less: then the largest preset they do."""
    online = [r for r in rows if r.workers and (model is None or r.name == model)]
    largest = max((r.max_pixels for r in online), default=0)
    if not largest or largest >= 512 * 512:
        return 512, 512
    fitting = sorted((w * h, w, h) for _, w, h in SIZES if w * h <= largest)
    return (fitting[-1][1], fitting[-1][2]) if fitting else (512, 512)


def parse_size(value: str) -> tuple[int, int]:
    width, _, height = value.partition("x")
    return int(width), int(height)
