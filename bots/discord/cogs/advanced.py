"""``/advanced``: every other parameter, through a modal (text) and select menus, never over Discord's 25 options.

``/advanced`` takes what a modal cannot (the source image, model autocomplete), opens a modal for the text fields,
then shows the choices as select menus with a Generate button, privately; the result is public as for /generate.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands
from discord.ext import commands

from horde.bots.discord import errors as bot_errors, flows
from horde.bots.discord.cogs import _choices
from horde.bots.discord.cogs.generate import build_ask
from horde.queue.service import KNOWN_SAMPLERS

if TYPE_CHECKING:
    from horde.bots.discord.client import HordeBot

TOGGLES = (("karras", "Karras noise schedule"), ("hires_fix", "Hires fix"), ("tiling", "Seamless tiling"))


@dataclasses.dataclass
class Draft:
    """What /advanced has collected so far."""

    prompt: str = ""
    negative: str | None = None
    model: str | None = None
    seed: str | None = None
    nsfw: bool = False
    shared: bool = False
    source_image: bytes | None = None
    size: tuple[int, int] = (512, 512)
    n: int = 1
    params: dict[str, Any] = dataclasses.field(default_factory=lambda: {"karras": True, "sampler_name": "k_euler_a"})


def finite(raw: str) -> float:
    """A number as people type it; ``inf`` and ``nan`` are not (ValueError, as for any other bad number)."""
    value = float(raw)
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {raw!r}")
    return value


def parse_numbers(text: str, names: tuple[str, ...]) -> dict[str, float]:
    """``"30, 7.5, 1"`` → ``{"steps": 30, "cfg_scale": 7.5, "clip_skip": 1}``; blanks keep the defaults."""
    values: dict[str, float] = {}
    for name, raw in zip(names, text.split(","), strict=False):
        if raw.strip():
            values[name] = finite(raw)
    return values


def parse_loras(text: str) -> list[dict[str, Any]]:
    """``"name:0.8, other"`` → AI Horde's ``loras`` list."""
    loras = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, strength = item.partition(":")
        loras.append({"name": name.strip(), "model": finite(strength) if strength.strip() else 1.0})
    return loras


def _select(item: Any) -> discord.ui.Select[Any]:
    """A ``@discord.ui.select`` attribute, typed as the ``Select`` it is at run time."""
    return cast(discord.ui.Select[Any], item)


class AdvancedModal(discord.ui.Modal, title="Advanced generation"):
    prompt: discord.ui.TextInput[AdvancedModal] = discord.ui.TextInput(
        label="Prompt", style=discord.TextStyle.paragraph, max_length=1000
    )
    negative: discord.ui.TextInput[AdvancedModal] = discord.ui.TextInput(
        label="Negative prompt", style=discord.TextStyle.paragraph, max_length=1000, required=False
    )
    numbers: discord.ui.TextInput[AdvancedModal] = discord.ui.TextInput(
        label="Steps, CFG, clip skip, denoise", placeholder="30, 5, 1, 0.75", max_length=60, required=False
    )
    seed: discord.ui.TextInput[AdvancedModal] = discord.ui.TextInput(label="Seed", max_length=100, required=False)
    loras: discord.ui.TextInput[AdvancedModal] = discord.ui.TextInput(
        label="LoRAs", placeholder="name:strength, name", max_length=500, required=False
    )

    def __init__(self, draft: Draft) -> None:
        super().__init__()
        self.draft = draft

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        draft = self.draft
        try:
            numbers = parse_numbers(self.numbers.value, ("steps", "cfg_scale", "clip_skip", "denoising_strength"))
            loras = parse_loras(self.loras.value)
        except ValueError:
            await bot_errors.reply_error(interaction, "⚠️ Numbers like `30, 5, 1, 0.75`; LoRAs like `name:0.8`.")
            return
        for name in ("steps", "clip_skip"):
            if name in numbers:
                draft.params[name] = int(numbers.pop(name))
        draft.params.update(numbers)
        if loras:
            draft.params["loras"] = loras
        draft.prompt, draft.negative, draft.seed = self.prompt.value, self.negative.value, self.seed.value or None
        await interaction.response.send_message(
            "Choose the rest, then press Generate.", view=AdvancedView(draft), ephemeral=True
        )


class AdvancedView(discord.ui.View):
    """Four select menus and a button: 5 rows, each select with at most 25 options."""

    def __init__(self, draft: Draft) -> None:
        super().__init__(timeout=600)
        self.draft = draft
        sampler, size = _select(self.sampler), _select(self.size)
        toggles, amount = _select(self.toggles), _select(self.amount)
        sampler.options = [
            discord.SelectOption(label=name, default=name == draft.params["sampler_name"])
            for name in sorted(KNOWN_SAMPLERS)[:25]
        ]
        size.options = [
            discord.SelectOption(label=label, value=f"{w}x{h}", default=(w, h) == draft.size)
            for label, w, h in _choices.SIZES
        ]
        toggles.options = [
            discord.SelectOption(label=label, value=key, default=bool(draft.params.get(key))) for key, label in TOGGLES
        ]
        toggles.max_values = len(TOGGLES)
        amount.options = [
            discord.SelectOption(label=f"{n} image(s)", value=str(n), default=n == 1) for n in range(1, 5)
        ]

    @discord.ui.select(placeholder="Sampler", row=0)
    async def sampler(self, interaction: discord.Interaction[Any], select: discord.ui.Select[AdvancedView]) -> None:
        self.draft.params["sampler_name"] = select.values[0]
        await interaction.response.defer()

    @discord.ui.select(placeholder="Size", row=1)
    async def size(self, interaction: discord.Interaction[Any], select: discord.ui.Select[AdvancedView]) -> None:
        self.draft.size = _choices.parse_size(select.values[0])
        await interaction.response.defer()

    @discord.ui.select(placeholder="Options", min_values=0, row=2)
    async def toggles(self, interaction: discord.Interaction[Any], select: discord.ui.Select[AdvancedView]) -> None:
        for key, _ in TOGGLES:
            self.draft.params[key] = key in select.values
        await interaction.response.defer()

    @discord.ui.select(placeholder="How many images", row=3)
    async def amount(self, interaction: discord.Interaction[Any], select: discord.ui.Select[AdvancedView]) -> None:
        self.draft.n = int(select.values[0])
        await interaction.response.defer()

    @discord.ui.button(label="Generate", style=discord.ButtonStyle.success, row=4)
    async def go(self, interaction: discord.Interaction[Any], button: discord.ui.Button[AdvancedView]) -> None:
        d = self.draft
        ask = build_ask(
            d.prompt,
            negative=d.negative,
            style=None,
            model=d.model,
            size=d.size,
            n=d.n,
            seed=d.seed,
            nsfw=d.nsfw,
            extra=d.params,
            shared=d.shared,
            source_image=d.source_image,
        )
        await flows.generate(interaction, ask)


class AdvancedCog(commands.Cog):
    def __init__(self, bot: HordeBot) -> None:
        self.bot = bot

    @app_commands.command(name="advanced", description="Every parameter: sampler, steps, CFG, LoRAs, img2img…")
    @app_commands.describe(
        model="Which model; the list shows workers and queue",
        source_image="A picture to start from (img2img)",
        share="Share the images with the horde (lets you rate them for kudos)",
        nsfw="Allow NSFW images (only in age-restricted channels)",
    )
    @app_commands.autocomplete(model=_choices.models)
    async def advanced(
        self,
        interaction: discord.Interaction[Any],
        model: str | None = None,
        source_image: discord.Attachment | None = None,
        share: bool = False,
        nsfw: bool = False,
    ) -> None:
        draft = Draft(model=model, nsfw=nsfw, shared=share)
        draft.size = _choices.served_size(await _choices.model_rows(self.bot), model)
        if source_image is not None:
            draft.source_image = await source_image.read()
        await interaction.response.send_modal(AdvancedModal(draft))


async def setup(bot: HordeBot) -> None:
    await bot.add_cog(AdvancedCog(bot))
