"""The ``horde`` command, run as a person would: a real process against a real SQLite file."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from horde.queue.store import migrate

HORDE = shutil.which("horde", path=str(Path(sys.executable).parent)) or "horde"


def horde(*args: str, data_dir: Path, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HORDE_")}
    env.update({"HORDE_DATA_DIR": str(data_dir), **(extra_env or {})})
    return subprocess.run([HORDE, *args], env=env, capture_output=True, text=True, timeout=120, check=False)


def test_users_create_prints_a_22_character_key_last(tmp_path: Path) -> None:
    result = horde(
        "users", "create", "carol", "--role", "moderator", "--kudos", "100", "--concurrency", "5", data_dir=tmp_path
    )
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip().splitlines()[-1]
    assert len(key) == 22
    with sqlite3.connect(tmp_path / "horde.db") as db:
        row = db.execute(
            "SELECT role, kudos_milli, concurrency, api_key_hash FROM users WHERE username='carol'"
        ).fetchone()
    assert row[:3] == ("moderator", 125_000, 5)  # 25 opening floor + 100 granted
    assert key not in row[3]  # stored as a keyed hash only


def head_revision() -> str:
    head = ScriptDirectory.from_config(migrate.alembic_config("sqlite:///unused.db")).get_current_head()
    assert head is not None
    return head


def test_db_upgrade_is_repeatable(tmp_path: Path) -> None:
    for _ in range(2):
        result = horde("db", "upgrade", data_dir=tmp_path)
        assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "horde.db") as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchone() == (head_revision(),)


@pytest.mark.parametrize("args", [["users", "create", ""], ["users", "create", "x", "--kudos", "-5"]])
def test_bad_input_is_a_clear_error(tmp_path: Path, args: list[str]) -> None:
    result = horde(*args, data_dir=tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip()


def test_a_mistyped_setting_stops_the_command(tmp_path: Path) -> None:
    result = horde("db", "upgrade", data_dir=tmp_path, extra_env={"HORDE_DATABSE_URL": "sqlite:///x.db"})
    assert result.returncode != 0
    assert "HORDE_DATABSE_URL" in result.stderr
