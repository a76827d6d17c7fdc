"""The economy's tables beside the ledger: trust escrow (migration 0009), monthly kudos and paused workers' decoy
jobs, and the index of each rater's latest ratings (rating spam, 0012).

They share ``tables.metadata``; ``tables`` imports this module at its end, so every table is known wherever the
schema is.
"""

from __future__ import annotations

import sqlalchemy as sa

from horde.queue.store.tables import UtcDateTime, metadata, ratings

trust_escrow = sa.Table(  #: an untrusted worker owner's held earnings, paid out when they are trusted
    "trust_escrow",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("held_milli", sa.BigInteger, nullable=False),
    sa.Column("work_milli", sa.BigInteger, nullable=False),  #: the part held from jobs: only that earns trust
)

monthly_kudos = sa.Table(  #: what an admin set an account to receive each month, and when it was last paid (0012)
    "monthly_kudos",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("amount_milli", sa.BigInteger, nullable=False),  #: set by an admin; moderators' grant comes on top
    sa.Column("last_received", UtcDateTime(), nullable=True),
    sa.Column("received_milli", sa.BigInteger, nullable=False),  #: all ever paid (``kudos_details.recurring``)
)

decoy_jobs = sa.Table(  #: work-shaped jobs handed to a paused worker: they pay nothing and touch no request (0012)
    "decoy_jobs",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("worker_id", sa.String(36), nullable=False),
    sa.Column("owner_id", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("params", sa.JSON(), nullable=False),  #: the parameters it was handed with (its result is checked)
    sa.Column("deadline", UtcDateTime(), nullable=False, index=True),
    sa.Column("finished_at", UtcDateTime(), nullable=True),
)

sa.Index("ix_ratings_user_id_id", ratings.c.user_id, ratings.c.id)  #: a rater's latest ratings (``rating_spam``)
