"""Settings of the engine, read once by the entry point from ``HORDE_*`` variables (and an optional ``.env``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class CoreSettings(BaseSettings):
    """What the queue and kudos engine needs; the web, bot and worker settings extend or stand beside it."""

    model_config = SettingsConfigDict(env_prefix="HORDE_", env_file=".env", frozen=True, extra="ignore")

    data_dir: Path = Field(Path("data"), description="Folder for the embedded SQLite database and stored results.")
    database_url: str | None = Field(
        None,
        description="sqlite:///PATH or postgresql://USER@HOST:PORT/DB; default SQLite in the data dir.",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Secret that hashes API keys and signs URLs and cookies; the same on every node. On SQLite it is "
        "generated into the data dir if unset; on PostgreSQL it is required (a node without it refuses to start).",
    )
    job_ttl_min_seconds: int = Field(150, description="Shortest time a worker has for one image job.")
    text_job_ttl_seconds: int = Field(150, description="Time a worker has for one text job.")
    request_expiry_seconds: int = Field(
        1200, description="A request and its results vanish this long after the last activity."
    )
    gallery_expiry_seconds: int = Field(
        0, description="Results kept in a logged-in user's gallery expire after this long; 0 keeps them forever."
    )
    max_attempts: int = Field(3, description="Times a job may be handed out before its request is faulted.")
    default_concurrency: int = Field(30, description="Images and texts a user may have waiting at once.")
    ageing_per_second: float = Field(
        1.0,
        description="Queue priority a waiting request gains each second, so nobody waits for ever (AI Horde: 5, +50 "
        "every 10 s; here 1, so kudos count five times as much: docs/explanation/kudos.md).",
    )
    model_reference_file: Path | None = Field(
        None,
        description="Image models the horde knows beyond its bundled list, as an AI Horde model-reference JSON file "
        '({"Name": {"baseline": "stable_diffusion_xl"}, ...}): they set prices, and only they earn uptime.',
    )
    stale_worker_seconds: int = Field(300, description="A worker that has not polled for this long is offline.")
    database_pool_size: int = Field(
        50,
        ge=1,
        le=500,
        description="PostgreSQL connections each process keeps open, plus a quarter more (at least 5) for bursts; "
        "SQLite ignores it. Connections beyond the kept ones are opened and closed per use, which shows in latency: "
        "size it to the requests a process serves at once, within the server's max_connections.",
    )
    queue_position_cache_seconds: float = Field(
        1.0,
        ge=0,
        description="How old a queue position or ETA may be: each model's queue is read once per this many seconds "
        "(0: count on every poll).",
    )
    trust_threshold_kudos: float = Field(
        5000.0,
        ge=0,
        description="Kudos an untrusted worker owner must have in escrow from jobs (half of each job's reward; the "
        "uptime held beside it does not count) to be trusted automatically, which releases all their escrow; 0 "
        "turns automatic trust off (upstream's KUDOS_TRUST_THRESHOLD).",
    )
    trust_min_age_days: float = Field(
        7.0, ge=0, description="Days an account must exist before it can be trusted automatically."
    )
    moderator_monthly_kudos: float = Field(
        300_000.0,
        ge=0,
        description="Kudos moderators and admins receive each month (upstream: 300,000), on top of any monthly "
        "amount an admin set for their account; 0 turns the grant off.",
    )
    alchemy_ttl_seconds: int = Field(
        120,
        ge=10,
        description="Time an alchemist has for one form, plus 10 s per 512×512 tile of a post-processor's image.",
    )
    csam_limit_per_hour: int = Field(
        50,
        ge=1,
        description="Images blocked by workers' CSAM guards per hour, per account or per address, beyond "
        "which the account is flagged to moderators (upstream: 50).",
    )
    csam_limit_per_day: int = Field(200, ge=1, description="The same per day (upstream: 200).")
    admin_username: str = Field("admin", description="Name of the admin account created on first start.")

    def resolved_database_url(self) -> str:
        """The configured URL, or SQLite in the data dir."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'horde.db').resolve()}"
