"""The one error hook: every ``HordeError`` becomes a clear ephemeral message that says what to do next.

Registered on the command tree (``tree.on_error``); views and modals call ``reply_error`` themselves.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from horde.queue import errors

logger = logging.getLogger(__name__)

#: next steps by return code, where the service's own message does not already say them
NEXT_STEPS: dict[str, str] = {
    "KudosUpfront": "Pick a smaller size, fewer steps or fewer images, or /login with an account that has kudos.",
    "InvalidAPIKey": "Check the key on the Horde's account page and run /login again.",
    "TooManyPrompts": "Wait for your running requests to finish, then try again.",
    "NoAvailableWorker": "Try another model (see /models), or wait for a worker.",
    "UserSuspended": "Your account is suspended; ask the Horde's moderators.",
    "TimeoutIP": "Wait until the timeout ends.",
    "CorruptPrompt": "Rephrase the prompt.",
}


def message_for(exc: errors.HordeError) -> str:
    """The text a Discord user reads for a service error: what happened, then what to do next."""
    text = exc.message
    if isinstance(exc, errors.ValidationError) and exc.field_errors and exc.field_errors.keys() - {""}:
        details = ", ".join(f"{k}: {v}" for k, v in exc.field_errors.items())
        text = f"{text} ({details})"
    if isinstance(exc, errors.RateLimitedError) and "Try again" not in text:
        text = f"{text} Try again in {max(1, round(exc.retry_after))} s."
    step = NEXT_STEPS.get(exc.rc)
    if step and step not in text:
        text = f"{text} {step}"
    return f"⚠️ {text}"


async def reply_error(interaction: discord.Interaction[Any], text: str) -> None:
    """Ephemeral when Discord still allows it; after a public defer, the deferred message itself says it."""
    if not interaction.response.is_done():
        await interaction.response.send_message(text, ephemeral=True)
        return
    try:
        await interaction.edit_original_response(content=text, embed=None, view=None, attachments=[])
    except discord.HTTPException:
        await interaction.followup.send(text, ephemeral=True)


async def reply_horde_error(interaction: discord.Interaction[Any], exc: errors.HordeError) -> None:
    await reply_error(interaction, message_for(exc))


async def on_app_command_error(interaction: discord.Interaction[Any], error: app_commands.AppCommandError) -> None:
    original = getattr(error, "original", error)
    if isinstance(original, errors.HordeError):
        await reply_horde_error(interaction, original)
    elif isinstance(error, app_commands.MissingPermissions):
        await reply_error(interaction, "⚠️ Only this server's managers (Manage Server) may do that.")
    elif isinstance(error, app_commands.CheckFailure):
        await reply_error(interaction, f"⚠️ {error}")
    else:
        logger.error("discord_command_failed", exc_info=original, extra={"action": "discord_command_failed"})
        await reply_error(interaction, "⚠️ Something went wrong on our side. Please try again later.")
