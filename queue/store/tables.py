"""The schema. Alembic migrations in ``migrations/`` create it; tests compare the two."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(sa.TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on every database (SQLite forgets the zone; this gives it back)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


AnyRow = sa.Row[*tuple[Any, ...]]  #: a result row of any shape

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements only INTEGER PRIMARY KEY
Json = sa.JSON()


def _id() -> sa.Column[Any]:
    return sa.Column("id", sa.String(36), primary_key=True)


def _created() -> sa.Column[Any]:
    return sa.Column("created_at", UtcDateTime(), nullable=False)


users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("flagged", sa.Boolean, nullable=False, default=False),
    sa.Column("suspended", sa.Boolean, nullable=False, default=False),
    sa.Column("api_key_hash", sa.String(64), nullable=True, unique=True),
    sa.Column("external_id", sa.String(200), nullable=True, unique=True),
    sa.Column("kudos_milli", sa.BigInteger, nullable=False, default=0),
    sa.Column("concurrency", sa.Integer, nullable=False),
    sa.Column("contact", sa.String(500), nullable=True),
    _created(),
    sa.Column("last_active_at", UtcDateTime(), nullable=True),
    # role flags (horde.queue.domain.roles.Role; ``flagged`` above is one too), migration 0007
    *(
        sa.Column(name, sa.Boolean, nullable=False, default=False, server_default=sa.false())
        for name in ("trusted", "customizer", "vpn", "service", "education", "special", "moderator", "admin")
    ),
    sa.Column("worker_invited", sa.Integer, nullable=False, default=0, server_default="0"),
    sa.Column("admin_comment", sa.String(500), nullable=True),
    sa.Column("deleted_at", UtcDateTime(), nullable=True),  #: soft-deleted (upstream's first DELETE)
)

kudos_ledger = sa.Table(
    "kudos_ledger",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("amount_milli", sa.BigInteger, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("request_id", sa.String(36), nullable=True),
    sa.Column("job_id", sa.String(36), nullable=True),
    sa.Column("counterparty_id", sa.Integer, nullable=True),
    sa.Column("memo", sa.String(200), nullable=True),
    _created(),
)

teams = sa.Table(
    "teams",
    metadata,
    _id(),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("owner_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("info", sa.String(1000), nullable=True),
    _created(),
)

workers = sa.Table(
    "workers",
    metadata,
    _id(),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("owner_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("models", Json, nullable=False),
    sa.Column("max_pixels", sa.Integer, nullable=False),
    sa.Column("capabilities", Json, nullable=False),
    sa.Column("nsfw", sa.Boolean, nullable=False),
    sa.Column("maintenance", sa.Boolean, nullable=False, default=False),
    sa.Column("maintenance_msg", sa.String(500), nullable=True),
    sa.Column("paused", sa.Boolean, nullable=False, default=False),
    sa.Column("threads", sa.Integer, nullable=False, default=1),
    sa.Column("bridge_agent", sa.String(1000), nullable=True),
    sa.Column("info", sa.String(1000), nullable=True),
    sa.Column("team_id", sa.String(36), sa.ForeignKey("teams.id"), nullable=True),
    sa.Column("ip", sa.String(64), nullable=True),
    _created(),
    sa.Column("last_check_in", UtcDateTime(), nullable=False),
    sa.Column("uptime_seconds", sa.Float, nullable=False, default=0.0),
    sa.Column("uptime_unpaid_seconds", sa.Float, nullable=False, default=0.0),
    sa.Column("kudos_earned_milli", sa.BigInteger, nullable=False, default=0),
    sa.Column("jobs_done", sa.Integer, nullable=False, default=0),
    sa.Column("jobs_aborted", sa.Integer, nullable=False, default=0),
    sa.Column("things_done", sa.Float, nullable=False, default=0.0),
    sa.Column("seconds_busy", sa.Float, nullable=False, default=0.0),
    sa.Column("drops_recent", sa.Integer, nullable=False, default=0, server_default="0"),
    sa.Column("drops_since", UtcDateTime(), nullable=True),
)

generation_requests = sa.Table(
    "generation_requests",
    metadata,
    _id(),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("shared_key_id", sa.String(36), nullable=True),
    sa.Column("prompt", sa.Text, nullable=False),
    sa.Column("params", Json, nullable=False),
    sa.Column("models", Json, nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("nsfw", sa.Boolean, nullable=False),
    sa.Column("censor_nsfw", sa.Boolean, nullable=False),
    sa.Column("trusted_workers", sa.Boolean, nullable=False),
    sa.Column("slow_workers", sa.Boolean, nullable=False),
    sa.Column("worker_ids", Json, nullable=False),
    sa.Column("worker_blacklist", sa.Boolean, nullable=False),
    sa.Column("r2", sa.Boolean, nullable=False),
    sa.Column("shared", sa.Boolean, nullable=False),
    sa.Column("source_processing", sa.String(16), nullable=True),
    sa.Column("source_image_key", sa.String(200), nullable=True),
    sa.Column("source_mask_key", sa.String(200), nullable=True),
    sa.Column("style_id", sa.String(36), nullable=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("priority", sa.Float, nullable=False),
    sa.Column("rank", sa.Float, nullable=False),
    sa.Column("things", sa.Float, nullable=False),
    sa.Column("base_cost_milli", sa.BigInteger, nullable=False),
    sa.Column("estimate_milli", sa.BigInteger, nullable=False),
    sa.Column("upfront_milli", sa.BigInteger, nullable=False, default=0),
    sa.Column("charged_milli", sa.BigInteger, nullable=False, default=0),
    sa.Column("faults", sa.Integer, nullable=False, default=0),
    sa.Column("kept", sa.Boolean, nullable=False, default=False),
    sa.Column("ip", sa.String(64), nullable=True),
    sa.Column("client_agent", sa.String(200), nullable=True),
    sa.Column("warnings", Json, nullable=False),
    _created(),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Index("ix_generation_requests_user_state", "user_id", "state"),
    sa.Index("ix_generation_requests_state_expires", "state", "expires_at"),
    sa.Index("ix_generation_requests_ip_state", "ip", "state"),
)

jobs = sa.Table(
    "jobs",
    metadata,
    _id(),
    sa.Column("request_id", sa.String(36), sa.ForeignKey("generation_requests.id", ondelete="CASCADE"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("worker_id", sa.String(36), nullable=True),
    sa.Column("model", sa.String(255), nullable=True),
    sa.Column("seed", sa.BigInteger, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("popped_at", UtcDateTime(), nullable=True),
    sa.Column("deadline", UtcDateTime(), nullable=True),
    sa.Column("finished_at", UtcDateTime(), nullable=True),
    sa.Column("result_state", sa.String(16), nullable=True),
    sa.Column("result_key", sa.String(200), nullable=True),
    sa.Column("result_text", sa.Text, nullable=True),
    sa.Column("gen_metadata", Json, nullable=True),
    sa.Column("reward_milli", sa.BigInteger, nullable=False, default=0),
    sa.Column("charge_milli", sa.BigInteger, nullable=False, default=0),
    sa.Column("favourite", sa.Boolean, nullable=False, default=False),
    sa.Column("public", sa.Boolean, nullable=False, default=False),
    sa.Index("ix_jobs_request_state", "request_id", "state"),
    sa.Index("ix_jobs_state_deadline", "state", "deadline"),
    sa.Index("ix_jobs_worker_finished", "worker_id", "finished_at"),
)

#: One row per (waiting request, model) while the request has queued jobs: the index that makes pop O(1) in the
#: queue's length. ``model`` is "" for a request that accepts any model.
queue_entries = sa.Table(
    "queue_entries",
    metadata,
    sa.Column(
        "request_id", sa.String(36), sa.ForeignKey("generation_requests.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("model", sa.String(255), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("rank", sa.Float, nullable=False),
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("pixels", sa.Integer, nullable=False),
    sa.Column("things", sa.Float, nullable=False),
    sa.Column("queued", sa.Integer, nullable=False),
    sa.Column("nsfw", sa.Boolean, nullable=False),
    sa.Column("trusted_only", sa.Boolean, nullable=False),
    sa.Column("needs", sa.Integer, nullable=False),
    sa.Column("targeted", sa.Boolean, nullable=False),
    # things and queued ride along so that queue position is an index-only count (migration 0002)
    sa.Index("ix_queue_entries_pick", "kind", "model", sa.text("rank DESC"), "request_id", "things", "queued"),
    sa.Index("ix_queue_entries_user", "user_id", "kind", sa.text("rank DESC")),
)

ratings = sa.Table(
    "ratings",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("job_id", sa.String(36), sa.ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False, unique=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("rating", sa.Integer, nullable=True),
    sa.Column("artifacts", sa.Integer, nullable=True),
    _created(),
)

shared_keys = sa.Table(
    "shared_keys",
    metadata,
    _id(),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("kudos_limit_milli", sa.BigInteger, nullable=False),
    sa.Column("utilized_milli", sa.BigInteger, nullable=False, default=0),
    sa.Column("max_image_pixels", sa.Integer, nullable=False),
    sa.Column("max_image_steps", sa.Integer, nullable=False),
    sa.Column("max_text_tokens", sa.Integer, nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=True),
    _created(),
)

styles = sa.Table(
    "styles",
    metadata,
    _id(),
    sa.Column("owner_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("info", sa.String(1000), nullable=True),
    sa.Column("prompt", sa.Text, nullable=False),
    sa.Column("params", Json, nullable=False),
    sa.Column("models", Json, nullable=False),
    sa.Column("public", sa.Boolean, nullable=False, default=True),
    sa.Column("uses", sa.Integer, nullable=False, default=0),
    _created(),
)

prompt_filters = sa.Table(
    "prompt_filters",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("regex", sa.String(1000), nullable=False),
    sa.Column("filter_type", sa.Integer, nullable=False),
    sa.Column("description", sa.String(1000), nullable=True),
    sa.Column("replacement", sa.String(255), nullable=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    _created(),
)

ip_timeouts = sa.Table(
    "ip_timeouts",
    metadata,
    sa.Column("ip", sa.String(64), primary_key=True),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Column("reason", sa.String(500), nullable=True),
    sa.Column("created_by", sa.Integer, nullable=True),
    _created(),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("actor_id", sa.Integer, nullable=True),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target_type", sa.String(32), nullable=False),
    sa.Column("target_id", sa.String(64), nullable=False),
    sa.Column("details", Json, nullable=False),
    _created(),
    sa.Index("ix_audit_log_target", "target_type", "target_id"),
)

blobs = sa.Table(
    "blobs",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("content_type", sa.String(100), nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    _created(),
)

# --- the Discord bot's state: linked accounts, per-guild settings, uses (for rate limits), pending kudos gifts ---

discord_links = sa.Table(
    "discord_links",
    metadata,
    sa.Column("discord_id", sa.String(32), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("api_key_sealed", sa.Text, nullable=False),  #: Fernet token of the API key (key from the secret)
    _created(),
)

discord_guilds = sa.Table(
    "discord_guilds",
    metadata,
    sa.Column("guild_id", sa.String(32), primary_key=True),
    sa.Column("blocked_words", Json, nullable=False),
    sa.Column("rate_limit_count", sa.Integer, nullable=False),
    sa.Column("rate_limit_seconds", sa.Integer, nullable=False),
    sa.Column("default_model", sa.String(255), nullable=True),
    sa.Column("default_style", sa.String(100), nullable=True),
    sa.Column("allow_anonymous", sa.Boolean, nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

discord_uses = sa.Table(
    "discord_uses",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("guild_id", sa.String(32), nullable=False),
    sa.Column("discord_id", sa.String(32), nullable=False),
    _created(),
    sa.Index("ix_discord_uses_guild_id_discord_id_created_at", "guild_id", "discord_id", "created_at"),
)

discord_gifts = sa.Table(
    "discord_gifts",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("from_user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("to_discord_id", sa.String(32), nullable=False, index=True),
    sa.Column("amount_milli", sa.BigInteger, nullable=False),
    _created(),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
)

# --- web sessions: a session is good while its generation is the user's; logout and key rotation move it on ---

user_sessions = sa.Table(
    "user_sessions",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("generation", sa.Integer, nullable=False),
)

# --- the Mastodon bot: where it is in its notifications, the mentions it took on, each account's recent uses ---

mastodon_cursors = sa.Table(
    "mastodon_cursors",
    metadata,
    sa.Column("instance", sa.String(255), primary_key=True),  #: the bot's instance (its base URL's host)
    sa.Column("last_notification_id", sa.String(64), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

mastodon_mentions = sa.Table(
    "mastodon_mentions",
    metadata,
    sa.Column("status_id", sa.String(64), primary_key=True),  #: a mention is answered once, whatever happens
    sa.Column("instance", sa.String(255), nullable=False),
    sa.Column("account", sa.String(255), nullable=False),  #: ``user@instance``
    sa.Column("request_id", sa.String(36), nullable=True),
    sa.Column("answered", sa.Boolean, nullable=False, default=False),
    _created(),
    sa.Index("ix_mastodon_mentions_account_created_at", "account", "created_at"),
    sa.Index("ix_mastodon_mentions_answered", "answered"),
)


# the moderation tables (modes, news, messages, suspicion), trust escrow and alchemy's tables live beside: importing
# them here puts them in ``metadata`` (and the first two's tables are read as ``tables.<name>``)
from horde.queue.store import alchemy_tables  # noqa: E402, F401, I001
from horde.queue.store.economy_tables import trust_escrow as trust_escrow  # noqa: E402
from horde.queue.store.moderation_tables import horde_modes as horde_modes, news_items as news_items  # noqa: E402
from horde.queue.store.moderation_tables import suspicions as suspicions, worker_messages as worker_messages  # noqa: E402
