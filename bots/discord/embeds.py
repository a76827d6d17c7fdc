"""What people see: the progress and result embeds, kept inside Discord's limits."""

from __future__ import annotations

import discord

from horde.queue import dto

TITLE_LIMIT = 256
FIELD_LIMIT = 1024
COLOUR_WAITING = discord.Colour.blurple()
COLOUR_DONE = discord.Colour.green()
COLOUR_PROBLEM = discord.Colour.red()


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _prompt(status: dto.RequestStatus) -> str:
    positive, _, _ = status.prompt.partition("###")
    return positive.strip() or status.prompt


def _eta(seconds: int) -> str:
    if seconds <= 0:
        return "any moment"
    if seconds < 90:
        return f"about {seconds} s"
    return f"about {round(seconds / 60)} min"


def progress_lines(status: dto.RequestStatus) -> list[str]:
    lines = []
    if status.waiting and status.queue_position:
        lines.append(f"Queue position **{status.queue_position}** · ETA {_eta(status.wait_time)}")
    lines.append(f"Images done **{status.finished}/{status.n}** · {status.processing} in progress")
    if not status.is_possible:
        reason = status.blocked_reason or "No online worker can serve this request right now."
        lines.append(f"⚠️ {reason} It waits for one, or expires.")
    return lines


def progress(status: dto.RequestStatus, requester: str) -> discord.Embed:
    embed = discord.Embed(
        title=clip(f"Generating: {_prompt(status)}", TITLE_LIMIT),
        description="\n".join(progress_lines(status)),
        colour=COLOUR_WAITING if status.is_possible else COLOUR_PROBLEM,
    )
    embed.set_footer(text=clip(f"Requested by {requester} · request {status.id}", 2048))
    return embed


def result(
    status: dto.RequestStatus, requester: str, *, left_out: int = 0, web_url: str | None = None
) -> discord.Embed:
    gens = status.generations
    if status.cancelled:
        heading, colour = "Cancelled", COLOUR_PROBLEM
    elif status.faulted:
        heading, colour = "Failed", COLOUR_PROBLEM
    elif not gens:
        heading, colour = "Expired", COLOUR_PROBLEM
    else:
        heading, colour = "Done", COLOUR_DONE
    embed = discord.Embed(title=clip(f"{heading}: {_prompt(status)}", TITLE_LIMIT), colour=colour)
    negative = status.prompt.partition("###")[2].strip()
    if negative:
        embed.add_field(name="Negative prompt", value=clip(negative, FIELD_LIMIT), inline=False)
    models = sorted({g.model for g in gens if g.model}) or list(status.models) or ["any"]
    embed.add_field(name="Model", value=clip(", ".join(models), FIELD_LIMIT))
    if gens:
        embed.add_field(name="Seed", value=clip(", ".join(str(g.seed) for g in gens), FIELD_LIMIT))
    embed.add_field(name="Kudos", value=f"{status.kudos:g}")
    notes = []
    censored = sum(1 for g in gens if g.censored)
    if censored:
        notes.append(f"{censored} image(s) were censored by the worker's safety filter and are left out.")
    if left_out:
        notes.append(f"{left_out} image(s) did not fit Discord's upload limit; find them in your Horde gallery.")
    if status.cancelled and gens:
        notes.append("Images finished before the cancel are kept.")
    if notes:
        embed.description = "\n".join(notes)
    embed.set_footer(text=clip(f"Requested by {requester} · request {status.id}", 2048))
    public = [g for g in gens if g.public and not g.censored]
    if web_url and public:  # a public image has its own page in the gallery
        embed.url = f"{web_url.rstrip('/')}/images/{public[0].id}"
    return embed
