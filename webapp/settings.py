"""Settings of the web/API process."""

from __future__ import annotations

from pydantic import Field, SecretStr

from horde.queue.settings import CoreSettings


class WebSettings(CoreSettings):
    host: str = Field("127.0.0.1", description="Address the web server listens on.")
    port: int = Field(7001, description="Port the web server listens on.")
    public_url: str | None = Field(
        None, description="The URL people and workers reach this server at (for signed upload/download links)."
    )
    rate_limits: str = Field(
        "on",
        description="'on', 'off' (for benchmarks) or overrides such as 'check=20/1,register=10/3600': per-IP and "
        "per-key limits on the API and on the register and login pages.",
    )
    redis_url: SecretStr | None = Field(
        None,
        description="redis://HOST:PORT/DB: count the rate limits in Redis, so that they hold across every process "
        "and node; unset, each process counts its own in memory.",
    )
    keep_alive_seconds: int = Field(
        75,
        description="Seconds an idle HTTP connection stays open for the client's next request. Keep it longer than "
        "the idle timeouts of the clients and of a proxy in front (httpx 5 s, aiohttp 15 s, HAProxy's idle server "
        "connections a few seconds), so the server never closes a connection just as one of them sends on it.",
        ge=1,
    )
    sweep_interval: float = Field(5.0, description="Seconds between background sweeps (timeouts, expiry).")
    run_sweeps: bool = Field(True, description="Run the background sweeps in this process.")
    debug: bool = Field(False, description="Show tracebacks in error pages (never in production).")
