"""Migration 0007: the old role ladder becomes independent flags (moderator brings trusted, admin both)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from horde.queue.store import migrate

INSERT = sa.text(
    "INSERT INTO users (id, username, kind, role, flagged, suspended, kudos_milli, concurrency, created_at)"
    " VALUES (:id, :name, 'registered', :role, :flagged, 0, 0, 30, '2026-01-01 00:00:00')"
)
FLAGS = "trusted, moderator, admin, flagged, customizer"


def test_the_ladder_role_migrates_to_flags(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(url, "0006")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for user_id, role, flagged in ((1, "user", 1), (2, "trusted", 0), (3, "moderator", 0), (4, "admin", 0)):
            conn.execute(INSERT, {"id": user_id, "name": role, "role": role, "flagged": flagged})
    migrate.upgrade(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT username, {FLAGS} FROM users ORDER BY id")).all()  # noqa: S608
    assert [tuple(r) for r in rows] == [
        ("user", 0, 0, 0, 1, 0),
        ("trusted", 1, 0, 0, 0, 0),
        ("moderator", 1, 1, 0, 0, 0),
        ("admin", 1, 1, 1, 0, 0),
    ]
    migrate.downgrade(url, "0006")
    with engine.connect() as conn:
        assert [r[0] for r in conn.execute(sa.text("SELECT role FROM users ORDER BY id"))] == [
            "user",
            "trusted",
            "moderator",
            "admin",
        ]
    engine.dispose()
