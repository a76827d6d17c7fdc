"""Alchemy: interrogations, their forms, and the image results workers flagged as CSAM.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from horde.queue.store.tables import UtcDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "interrogations",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("source_key", sa.String(200), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("tiles", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("trusted_workers", sa.Boolean(), nullable=False),
        sa.Column("slow_workers", sa.Boolean(), nullable=False),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("charged_milli", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_interrogations_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interrogations")),
    )
    op.create_index("ix_interrogations_user_id_state", "interrogations", ["user_id", "state"])
    op.create_index("ix_interrogations_state_expires_at", "interrogations", ["state", "expires_at"])
    op.create_table(
        "interrogation_forms",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("interrogation_id", sa.String(36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("rank", sa.Float(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tiles", sa.Integer(), nullable=False),
        sa.Column("trusted_only", sa.Boolean(), nullable=False),
        sa.Column("worker_id", sa.String(36), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("popped_at", UtcDateTime(), nullable=True),
        sa.Column("deadline", UtcDateTime(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("result_key", sa.String(200), nullable=True),
        sa.Column("reward_milli", sa.BigInteger(), nullable=False),
        sa.Column("charge_milli", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interrogation_id"],
            ["interrogations.id"],
            name=op.f("fk_interrogation_forms_interrogation_id_interrogations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interrogation_forms")),
    )
    op.create_index("ix_interrogation_forms_state_name_rank", "interrogation_forms", ["state", "name", "rank"])
    op.create_index("ix_interrogation_forms_interrogation_id", "interrogation_forms", ["interrogation_id"])
    op.create_index("ix_interrogation_forms_state_deadline", "interrogation_forms", ["state", "deadline"])
    op.create_table(
        "csam_results",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("job_id", sa.String(36), nullable=False),
        sa.Column("worker_id", sa.String(36), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csam_results")),
    )
    op.create_index("ix_csam_results_user_id_created_at", "csam_results", ["user_id", "created_at"])
    op.create_index("ix_csam_results_ip_created_at", "csam_results", ["ip", "created_at"])


def downgrade() -> None:
    op.drop_table("csam_results")
    op.drop_table("interrogation_forms")
    op.drop_table("interrogations")
