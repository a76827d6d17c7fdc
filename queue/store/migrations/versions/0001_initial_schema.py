"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 11:42:26.106190
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import horde.queue.store.tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_target", ["target_type", "target_id"], unique=False)

    op.create_table(
        "blobs",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_blobs")),
    )
    op.create_table(
        "ip_timeouts",
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("expires_at", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ip", name=op.f("pk_ip_timeouts")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column("api_key_hash", sa.String(length=64), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("kudos_milli", sa.BigInteger(), nullable=False),
        sa.Column("concurrency", sa.Integer(), nullable=False),
        sa.Column("contact", sa.String(length=500), nullable=True),
        sa.Column("created_at", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_active_at", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("api_key_hash", name=op.f("uq_users_api_key_hash")),
        sa.UniqueConstraint("external_id", name=op.f("uq_users_external_id")),
    )
    op.create_table(
        "generation_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("shared_key_id", sa.String(length=36), nullable=True),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("models", sa.JSON(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("nsfw", sa.Boolean(), nullable=False),
        sa.Column("censor_nsfw", sa.Boolean(), nullable=False),
        sa.Column("trusted_workers", sa.Boolean(), nullable=False),
        sa.Column("slow_workers", sa.Boolean(), nullable=False),
        sa.Column("worker_ids", sa.JSON(), nullable=False),
        sa.Column("worker_blacklist", sa.Boolean(), nullable=False),
        sa.Column("r2", sa.Boolean(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("source_processing", sa.String(length=16), nullable=True),
        sa.Column("source_image_key", sa.String(length=200), nullable=True),
        sa.Column("source_mask_key", sa.String(length=200), nullable=True),
        sa.Column("style_id", sa.String(length=36), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Float(), nullable=False),
        sa.Column("rank", sa.Float(), nullable=False),
        sa.Column("things", sa.Float(), nullable=False),
        sa.Column("base_cost_milli", sa.BigInteger(), nullable=False),
        sa.Column("estimate_milli", sa.BigInteger(), nullable=False),
        sa.Column("upfront_milli", sa.BigInteger(), nullable=False),
        sa.Column("charged_milli", sa.BigInteger(), nullable=False),
        sa.Column("faults", sa.Integer(), nullable=False),
        sa.Column("kept", sa.Boolean(), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("client_agent", sa.String(length=200), nullable=True),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("created_at", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_generation_requests_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_generation_requests")),
    )
    with op.batch_alter_table("generation_requests", schema=None) as batch_op:
        batch_op.create_index("ix_generation_requests_state_expires", ["state", "expires_at"], unique=False)
        batch_op.create_index("ix_generation_requests_user_state", ["user_id", "state"], unique=False)

    op.create_table(
        "kudos_ledger",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("amount_milli", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.Column("job_id", sa.String(length=36), nullable=True),
        sa.Column("counterparty_id", sa.Integer(), nullable=True),
        sa.Column("memo", sa.String(length=200), nullable=True),
        sa.Column("created_at", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_kudos_ledger_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kudos_ledger")),
    )
    with op.batch_alter_table("kudos_ledger", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kudos_ledger_user_id"), ["user_id"], unique=False)

    op.create_table(
        "prompt_filters",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("regex", sa.String(length=1000), nullable=False),
        sa.Column("filter_type", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("replacement", sa.String(length=255), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_prompt_filters_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prompt_filters")),
    )
    op.create_table(
        "shared_keys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("kudos_limit_milli", sa.BigInteger(), nullable=False),
        sa.Column("utilized_milli", sa.BigInteger(), nullable=False),
        sa.Column("max_image_pixels", sa.Integer(), nullable=False),
        sa.Column("max_image_steps", sa.Integer(), nullable=False),
        sa.Column("max_text_tokens", sa.Integer(), nullable=False),
        sa.Column("expires_at", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_shared_keys_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shared_keys")),
    )
    with op.batch_alter_table("shared_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shared_keys_user_id"), ["user_id"], unique=False)

    op.create_table(
        "styles",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("info", sa.String(length=1000), nullable=True),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("models", sa.JSON(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("created_at", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_styles_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_styles")),
        sa.UniqueConstraint("name", name=op.f("uq_styles_name")),
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("info", sa.String(length=1000), nullable=True),
        sa.Column("created_at", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_teams_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=True),
        sa.Column("model", sa.String(length=255), nullable=True),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("popped_at", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=True),
        sa.Column("deadline", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=True),
        sa.Column("result_state", sa.String(length=16), nullable=True),
        sa.Column("result_key", sa.String(length=200), nullable=True),
        sa.Column("result_text", sa.Text(), nullable=True),
        sa.Column("gen_metadata", sa.JSON(), nullable=True),
        sa.Column("reward_milli", sa.BigInteger(), nullable=False),
        sa.Column("charge_milli", sa.BigInteger(), nullable=False),
        sa.Column("favourite", sa.Boolean(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["generation_requests.id"],
            name=op.f("fk_jobs_request_id_generation_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_request_state", ["request_id", "state"], unique=False)
        batch_op.create_index("ix_jobs_state_deadline", ["state", "deadline"], unique=False)
        batch_op.create_index("ix_jobs_worker_finished", ["worker_id", "finished_at"], unique=False)

    op.create_table(
        "queue_entries",
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("model", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("rank", sa.Float(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("pixels", sa.Integer(), nullable=False),
        sa.Column("things", sa.Float(), nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("nsfw", sa.Boolean(), nullable=False),
        sa.Column("trusted_only", sa.Boolean(), nullable=False),
        sa.Column("needs", sa.Integer(), nullable=False),
        sa.Column("targeted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["generation_requests.id"],
            name=op.f("fk_queue_entries_request_id_generation_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", "model", name=op.f("pk_queue_entries")),
    )
    # written by hand: autogenerate cannot compare expression indexes. The pick index makes pop O(1) in the queue length.
    op.create_index("ix_queue_entries_pick", "queue_entries", ["kind", "model", sa.text("rank DESC"), "request_id"])
    op.create_index("ix_queue_entries_user", "queue_entries", ["user_id", "kind", sa.text("rank DESC")])
    op.create_table(
        "workers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("models", sa.JSON(), nullable=False),
        sa.Column("max_pixels", sa.Integer(), nullable=False),
        sa.Column("capabilities", sa.JSON(), nullable=False),
        sa.Column("nsfw", sa.Boolean(), nullable=False),
        sa.Column("maintenance", sa.Boolean(), nullable=False),
        sa.Column("maintenance_msg", sa.String(length=500), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("threads", sa.Integer(), nullable=False),
        sa.Column("bridge_agent", sa.String(length=1000), nullable=True),
        sa.Column("info", sa.String(length=1000), nullable=True),
        sa.Column("team_id", sa.String(length=36), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("created_at", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_check_in", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.Column("uptime_seconds", sa.Float(), nullable=False),
        sa.Column("uptime_unpaid_seconds", sa.Float(), nullable=False),
        sa.Column("kudos_earned_milli", sa.BigInteger(), nullable=False),
        sa.Column("jobs_done", sa.Integer(), nullable=False),
        sa.Column("jobs_aborted", sa.Integer(), nullable=False),
        sa.Column("things_done", sa.Float(), nullable=False),
        sa.Column("seconds_busy", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_workers_owner_id_users")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_workers_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workers")),
        sa.UniqueConstraint("name", name=op.f("uq_workers_name")),
    )
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workers_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "ratings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("artifacts", sa.Integer(), nullable=True),
        sa.Column("created_at", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_ratings_job_id_jobs"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_ratings_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ratings")),
        sa.UniqueConstraint("job_id", name=op.f("uq_ratings_job_id")),
    )


def downgrade() -> None:
    op.drop_table("ratings")
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workers_owner_id"))

    op.drop_table("workers")
    op.drop_index("ix_queue_entries_user", table_name="queue_entries")
    op.drop_index("ix_queue_entries_pick", table_name="queue_entries")
    op.drop_table("queue_entries")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_worker_finished")
        batch_op.drop_index("ix_jobs_state_deadline")
        batch_op.drop_index("ix_jobs_request_state")

    op.drop_table("jobs")
    op.drop_table("teams")
    op.drop_table("styles")
    with op.batch_alter_table("shared_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shared_keys_user_id"))

    op.drop_table("shared_keys")
    op.drop_table("prompt_filters")
    with op.batch_alter_table("kudos_ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kudos_ledger_user_id"))

    op.drop_table("kudos_ledger")
    with op.batch_alter_table("generation_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_generation_requests_user_state")
        batch_op.drop_index("ix_generation_requests_state_expires")

    op.drop_table("generation_requests")
    op.drop_table("users")
    op.drop_table("ip_timeouts")
    op.drop_table("blobs")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_target")

    op.drop_table("audit_log")
