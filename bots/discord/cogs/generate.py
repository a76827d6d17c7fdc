"""``/generate``: a prompt and the few options most people change; the rest is ``/advanced``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from horde.bots.discord import errors as bot_errors, flows
from horde.bots.discord.cogs import _choices
from horde.queue.service import GenerationAsk

if TYPE_CHECKING:
    from horde.bots.discord.client import HordeBot


def build_ask(
    prompt: str,
    *,
    negative: str | None,
    style: str | None,
    model: str | None,
    size: tuple[int, int],
    n: int,
    seed: str | None,
    nsfw: bool,
    extra: dict[str, Any] | None = None,
    shared: bool = False,
    source_image: bytes | None = None,
) -> GenerationAsk:
    """AI Horde's convention: the negative prompt follows ``###``."""
    text = f"{prompt} ### {negative}" if negative and negative.strip() else prompt
    params: dict[str, Any] = {"width": size[0], "height": size[1], "n": n, **(extra or {})}
    if seed:
        params["seed"] = seed
    return GenerationAsk(
        prompt=text,
        params=params,
        models=(model,) if model else (),
        nsfw=nsfw,
        style=style or None,
        shared=shared,
        source_image=source_image,
    )


async def pick_size(bot: HordeBot, size: str | None, model: str | None) -> tuple[int, int] | None:
    if size is None:
        return _choices.served_size(await _choices.model_rows(bot), model)
    try:
        return _choices.parse_size(size)
    except ValueError:
        return None


class GenerateCog(commands.Cog):
    def __init__(self, bot: HordeBot) -> None:
        self.bot = bot

    @app_commands.command(name="generate", description="Make images from a prompt; the result is posted here.")
    @app_commands.describe(
        prompt="What to draw",
        negative="What to keep out of the image",
        style="A style from the Horde (sets model, size and more)",
        model="Which model; the list shows workers and queue",
        size="Width × height; by default what the online workers take, up to 512×512",
        n="How many images (1-4)",
        seed="The same seed and prompt give the same image",
        nsfw="Allow NSFW images (only in age-restricted channels)",
        share="Share the images with the horde's dataset: a small discount, and /rate them for kudos",
    )
    @app_commands.autocomplete(style=_choices.styles, model=_choices.models)
    @app_commands.choices(size=_choices.SIZE_CHOICES)
    async def generate(
        self,
        interaction: discord.Interaction[Any],
        prompt: app_commands.Range[str, 1, 1000],
        negative: app_commands.Range[str, 0, 1000] | None = None,
        style: str | None = None,
        model: str | None = None,
        size: str | None = None,
        n: app_commands.Range[int, 1, 4] = 1,
        seed: app_commands.Range[str, 0, 100] | None = None,
        nsfw: bool = False,
        share: bool = False,
    ) -> None:
        dims = await pick_size(self.bot, size, model)
        if dims is None:
            await bot_errors.reply_error(interaction, "⚠️ A size is WIDTHxHEIGHT, for example 512x512.")
            return
        ask = build_ask(
            prompt, negative=negative, style=style, model=model, size=dims, n=n, seed=seed, nsfw=nsfw, shared=share
        )
        await flows.generate(interaction, ask)


async def setup(bot: HordeBot) -> None:
    await bot.add_cog(GenerateCog(bot))
