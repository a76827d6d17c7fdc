"""Roles become independent flags, as AI Horde has them: one boolean column per role instead of the ladder; and
what moderators set on an account besides: worker invites, a moderator's comment, soft deletion.

The ladder migrates to flags: trusted -> trusted; moderator -> moderator + trusted; admin -> admin + moderator +
trusted. ``flagged`` was already a column of its own.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import horde.queue.store.tables

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FLAGS = ("trusted", "customizer", "vpn", "service", "education", "special", "moderator", "admin")
#: the old role -> the flags it becomes
LADDER = {
    "trusted": ("trusted",),
    "moderator": ("trusted", "moderator"),
    "admin": ("trusted", "moderator", "admin"),
}


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        for name in FLAGS:
            batch_op.add_column(sa.Column(name, sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("worker_invited", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("admin_comment", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("deleted_at", horde.queue.store.tables.UtcDateTime(timezone=True), nullable=True))
    for role, flags in LADDER.items():
        op.execute(
            sa.text(f"UPDATE users SET {', '.join(f'{f} = :yes' for f in flags)} WHERE role = :role").bindparams(
                yes=True, role=role
            )
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("role")


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=16), server_default="user", nullable=False))
    for role in ("trusted", "moderator", "admin"):  # the highest flag held wins
        op.execute(sa.text(f"UPDATE users SET role = :role WHERE {role} = :yes").bindparams(role=role, yes=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        for name in ("deleted_at", "admin_comment", "worker_invited", *reversed(FLAGS)):
            batch_op.drop_column(name)
