"""The economy's tables beside the ledger: trust escrow (migration 0009).

They share ``tables.metadata``; ``tables`` imports this module at its end, so every table is known wherever the
schema is.
"""

from __future__ import annotations

import sqlalchemy as sa

from horde.queue.store.tables import metadata

trust_escrow = sa.Table(  #: an untrusted worker owner's held earnings, paid out when they are trusted
    "trust_escrow",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("held_milli", sa.BigInteger, nullable=False),
    sa.Column("work_milli", sa.BigInteger, nullable=False),  #: the part held from jobs: only that earns trust
)
