"""Settings of the Mastodon bot (``HORDE_MASTODON_*``), read once by ``horde bot mastodon`` or ``horde run``."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class MastodonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HORDE_MASTODON_", env_file=".env", frozen=True, extra="ignore")

    base_url: str | None = Field(
        None,
        description="The bot account's instance, such as https://mastodon.social; `horde run` starts the bot "
        "when it and the token are set.",
    )
    token: SecretStr | None = Field(None, description="The bot account's access token (scopes read, write).")
    first_start_max_age: float = Field(
        3600.0, ge=0, description="On its very first start the bot answers waiting mentions up to this old (seconds)."
    )
    rate_limit_seconds: int = Field(300, ge=0, description="One request per fediverse account this often.")
    blocked_words: str = Field(
        "", description="Comma-separated words refused in prompts, on top of the horde's own prompt filters."
    )
    model: str | None = Field(None, description="The model mentions are drawn with; any model when unset.")
    size: str = Field("512x512", description="Width x height of the images.")
    steps: int = Field(20, ge=1, le=100, description="Sampling steps of the images.")
    images: int = Field(2, ge=1, le=4, description="Images per mention (Mastodon shows up to 4).")
    public_replies_per_hour: int = Field(
        20, ge=0, description="Public replies per instance and hour; the rest go out unlisted."
    )
    working_notice_after: float = Field(
        10.0, gt=0, description="Seconds a request may wait before one short 'working on it' reply is posted."
    )
    poll_interval: float = Field(
        30.0, gt=0, description="Seconds between polls of the notifications (the streaming API wakes it sooner)."
    )
    censor_nsfw: bool = Field(
        True,
        description="Ask workers to censor NSFW images; a worker without a safety checker then sends none (the "
        "mention gets the 'held back by the safety filter' reply).",
    )
    streaming: bool = Field(True, description="Listen on the streaming API; polling alone when false.")
    max_wait: float = Field(1800.0, gt=0, description="Seconds a mention's request is followed before giving up.")

    def dimensions(self) -> tuple[int, int]:
        width, _, height = self.size.lower().partition("x")
        return int(width), int(height)

    def word_list(self) -> tuple[str, ...]:
        return tuple(w.strip() for w in self.blocked_words.split(",") if w.strip())
