"""Settings of the Discord bot (``HORDE_DISCORD_*``), read once by ``horde bot discord`` or ``horde run``."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DISCORD_API = "https://discord.com/api/v10"


class DiscordSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HORDE_DISCORD_", env_file=".env", frozen=True, extra="ignore")

    token: SecretStr | None = Field(None, description="The bot's token; `horde run` starts the bot when it is set.")
    api_url: str = Field(
        DISCORD_API,
        description="Discord's REST base URL. Another value points the bot at a Discord-compatible server and takes "
        "the gateway address from its GET /gateway/bot.",
    )
    sync_commands: bool = Field(True, description="Sync the application commands with Discord at start.")
    progress_interval: float = Field(5.0, gt=0, description="Seconds between edits of a request's progress message.")
    gift_emoji: str = Field("🎁", description="Reacting to a result with this emoji gifts kudos to its requester.")
    gift_amount: float = Field(10.0, gt=0, description="Kudos one gift reaction sends.")
    web_url: str | None = Field(
        None,
        description="The Horde's web address, linked in replies (register, account, public images); "
        "by default HORDE_PUBLIC_URL.",
    )
