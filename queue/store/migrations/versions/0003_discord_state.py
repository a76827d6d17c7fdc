"""The Discord bot's state: linked accounts (sealed API keys), guild settings, uses, pending kudos gifts.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import horde.queue.store.tables

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "discord_links",
        sa.Column("discord_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("api_key_sealed", sa.Text(), nullable=False),
        sa.Column("created_at", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_discord_links_user_id_users")),
        sa.PrimaryKeyConstraint("discord_id", name=op.f("pk_discord_links")),
    )
    op.create_table(
        "discord_guilds",
        sa.Column("guild_id", sa.String(length=32), nullable=False),
        sa.Column("blocked_words", sa.JSON(), nullable=False),
        sa.Column("rate_limit_count", sa.Integer(), nullable=False),
        sa.Column("rate_limit_seconds", sa.Integer(), nullable=False),
        sa.Column("default_model", sa.String(length=255), nullable=True),
        sa.Column("default_style", sa.String(length=100), nullable=True),
        sa.Column("allow_anonymous", sa.Boolean(), nullable=False),
        sa.Column("updated_at", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_discord_guilds")),
    )
    op.create_table(
        "discord_uses",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.String(length=32), nullable=False),
        sa.Column("discord_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discord_uses")),
    )
    with op.batch_alter_table("discord_uses", schema=None) as batch_op:
        batch_op.create_index(
            "ix_discord_uses_guild_id_discord_id_created_at", ["guild_id", "discord_id", "created_at"], unique=False
        )
    op.create_table(
        "discord_gifts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("from_user_id", sa.Integer(), nullable=False),
        sa.Column("to_discord_id", sa.String(length=32), nullable=False),
        sa.Column("amount_milli", sa.BigInteger(), nullable=False),
        sa.Column("created_at", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["from_user_id"], ["users.id"], name=op.f("fk_discord_gifts_from_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discord_gifts")),
    )
    with op.batch_alter_table("discord_gifts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_discord_gifts_to_discord_id"), ["to_discord_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("discord_gifts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_discord_gifts_to_discord_id"))
    op.drop_table("discord_gifts")
    with op.batch_alter_table("discord_uses", schema=None) as batch_op:
        batch_op.drop_index("ix_discord_uses_guild_id_discord_id_created_at")
    op.drop_table("discord_uses")
    op.drop_table("discord_guilds")
    op.drop_table("discord_links")
