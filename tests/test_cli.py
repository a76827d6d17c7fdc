"""The ``horde`` command, run as a person would: a real process against a real SQLite file."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
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
        "users", "create", "carol", "--role", "moderator", "--flag", "vpn", "--kudos", "100", "--concurrency", "5",
        data_dir=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip().splitlines()[-1]
    assert len(key) == 22
    with sqlite3.connect(tmp_path / "horde.db") as db:
        row = db.execute(
            "SELECT moderator, trusted, vpn, admin, flagged, kudos_milli, concurrency, api_key_hash FROM users"
            " WHERE username='carol'"
        ).fetchone()
    assert row[:7] == (1, 1, 1, 0, 0, 125_000, 5)  # moderator brings trusted; 25 opening floor + 100 granted
    assert key not in row[7]  # stored as a keyed hash only


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


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _worker_children(pid: int) -> dict[int, list[str]]:
    """The ``horde worker`` processes among ``pid``'s children, with their command lines."""
    found = {}
    for child in _children(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().decode().split("\0")
        except OSError:
            continue
        if "horde.worker" in command:
            found[child] = command
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads child processes from /proc")
def test_sigterm_to_horde_run_stops_its_local_worker_too(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HORDE_")}
    env.update({"HORDE_DATA_DIR": str(tmp_path), "HF_HUB_OFFLINE": "1"})
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [HORDE, "run", "--port", str(port), "--worker", "tiny"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 120  # the first start builds the tiny alchemy models first
        while not (found := _worker_children(server.pid)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert found, "horde run started no local worker"
        [command] = found.values()
        assert command[command.index("--alchemy-dir") + 1] == str(tmp_path / "tiny_alchemy")  # it serves alchemy
        assert (tmp_path / "tiny_alchemy" / "clip" / "config.json").is_file()
        workers = list(found)
        time.sleep(3)  # the server is up and the worker is loading or polling
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        deadline = time.monotonic() + 40
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(pid) for pid in workers), "the local worker outlived horde run"
    finally:
        for pid in {server.pid, *workers, *_children(server.pid)}:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
