"""Alchemy's tables: interrogations (an image and the forms asked of it), their forms, and the results workers
flagged as CSAM (migration 0011).

They share ``tables.metadata``; ``tables`` imports this module at its end, so every table is known wherever the
schema is.
"""

from __future__ import annotations

import sqlalchemy as sa

from horde.queue.store.tables import BigId, Json, UtcDateTime, metadata

interrogations = sa.Table(
    "interrogations",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("source_key", sa.String(200), nullable=False),  #: the image, in the result store
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("tiles", sa.Integer, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("trusted_workers", sa.Boolean, nullable=False),
    sa.Column("slow_workers", sa.Boolean, nullable=False),
    sa.Column("ip", sa.String(64), nullable=True),
    sa.Column("charged_milli", sa.BigInteger, nullable=False, default=0),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Index("ix_interrogations_user_id_state", "user_id", "state"),
    sa.Index("ix_interrogations_state_expires_at", "state", "expires_at"),
)

interrogation_forms = sa.Table(
    "interrogation_forms",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column(
        "interrogation_id", sa.String(36), sa.ForeignKey("interrogations.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("payload", Json, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("rank", sa.Float, nullable=False),  #: the interrogation's place in the queue (kudos, then age)
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("tiles", sa.Integer, nullable=False),
    sa.Column("trusted_only", sa.Boolean, nullable=False),
    sa.Column("worker_id", sa.String(36), nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("popped_at", UtcDateTime(), nullable=True),
    sa.Column("deadline", UtcDateTime(), nullable=True),
    sa.Column("finished_at", UtcDateTime(), nullable=True),
    sa.Column("result", Json, nullable=True),
    sa.Column("result_key", sa.String(200), nullable=True),
    sa.Column("reward_milli", sa.BigInteger, nullable=False, default=0),
    sa.Column("charge_milli", sa.BigInteger, nullable=False, default=0),
    sa.Index("ix_interrogation_forms_state_name_rank", "state", "name", "rank"),
    sa.Index("ix_interrogation_forms_interrogation_id", "interrogation_id"),
    sa.Index("ix_interrogation_forms_state_deadline", "state", "deadline"),
)

#: one row per image result a worker's CSAM guard blocked: counted per requester and per address
csam_results = sa.Table(
    "csam_results",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("ip", sa.String(64), nullable=True),  #: the requester's address (an IPv6 address as its /64)
    sa.Column("job_id", sa.String(36), nullable=False),
    sa.Column("worker_id", sa.String(36), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index("ix_csam_results_user_id_created_at", "user_id", "created_at"),
    sa.Index("ix_csam_results_ip_created_at", "ip", "created_at"),
)
