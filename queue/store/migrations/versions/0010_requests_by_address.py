"""Requests by address: accounts without kudos share one concurrency limit per address (issue 16).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_generation_requests_ip_state", "generation_requests", ["ip", "state"])


def downgrade() -> None:
    op.drop_index("ix_generation_requests_ip_state", table_name="generation_requests")
