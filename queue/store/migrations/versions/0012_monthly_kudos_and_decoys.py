"""Monthly kudos (what an admin set, when it was last paid), decoy jobs for paused workers, and an index of each
rater's latest ratings (issue 16).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from horde.queue.store.tables import UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monthly_kudos",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("amount_milli", sa.BigInteger(), nullable=False),
        sa.Column("last_received", UtcDateTime(), nullable=True),
        sa.Column("received_milli", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_monthly_kudos_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_monthly_kudos")),
    )
    op.create_table(
        "decoy_jobs",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("worker_id", sa.String(36), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("deadline", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decoy_jobs")),
    )
    op.create_index(op.f("ix_decoy_jobs_deadline"), "decoy_jobs", ["deadline"])
    op.create_index(op.f("ix_ratings_user_id_id"), "ratings", ["user_id", "id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_ratings_user_id_id"), table_name="ratings")
    op.drop_index(op.f("ix_decoy_jobs_deadline"), table_name="decoy_jobs")
    op.drop_table("decoy_jobs")
    op.drop_table("monthly_kudos")
