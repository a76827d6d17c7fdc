"""Trust escrow: what an untrusted worker owner earned and the horde holds until they are trusted.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trust_escrow",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("held_milli", sa.BigInteger(), nullable=False),
        sa.Column("work_milli", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_trust_escrow_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_trust_escrow")),
    )


def downgrade() -> None:
    op.drop_table("trust_escrow")
