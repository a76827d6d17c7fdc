"""Shared fixtures: a fresh, migrated database for every test (SQLite file, or PostgreSQL from a template)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import pytest

from horde.queue import clock as clock_mod
from horde.queue.service import HordeService
from horde.queue.settings import CoreSettings
from horde.queue.store import migrate
from horde.webapp.settings import WebSettings

PG_ADMIN_URL = os.environ.get("HORDE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
_template_lock = threading.Lock()
_template_name: str | None = None


def _run(coro: Any) -> Any:
    """Run a coroutine to completion in a thread of its own (safe whether or not a loop is running here)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")


async def _pg_admin(*statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL.replace("postgresql://", "postgres://"))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def pg_template() -> str:
    """A migrated template database, made once per test process."""
    global _template_name
    with _template_lock:
        if _template_name is None:
            name = f"horde_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            _run(_pg_admin(f'CREATE DATABASE "{name}"'))
            migrate.upgrade(_pg_url(name))
            _template_name = name
        return _template_name


@pytest.fixture(scope="session", autouse=True)
def _drop_pg_template() -> Iterator[None]:
    """Each test process makes one template database on first use; it goes when the process's session ends."""
    yield
    if _template_name is not None:
        _run(_pg_admin(f'DROP DATABASE IF EXISTS "{_template_name}" WITH (FORCE)'))


@pytest.fixture
def pg_url() -> Iterator[str]:
    name = f"horde_t_{uuid.uuid4().hex[:12]}"
    _run(_pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template()}"'))
    yield _pg_url(name)
    _run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per test process; each test gets a copy (Alembic per test costs ~0.6 s)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "horde.db"
    # in a process of its own: a test's event loop may be running in this thread, and Alembic in a helper thread
    # trips CPython 3.11's "AST constructor recursion depth mismatch"
    code = f"from horde.queue.store import migrate; migrate.upgrade({f'sqlite:///{path}'!r})"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=path.parent)
    return path


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite: Path) -> str:
    """A fresh, migrated database for this test: a copy of the migrated SQLite file, or a PostgreSQL database
    made from the migrated template."""
    if request.param == "pg":
        return str(request.getfixturevalue("pg_url"))
    path = tmp_path / "horde.db"
    shutil.copyfile(migrated_sqlite, path)
    return f"sqlite:///{path}"


@pytest.fixture
def frozen_clock() -> clock_mod.FrozenClock:
    return clock_mod.FrozenClock()


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> CoreSettings:
    # positions counted on every poll, so tests see each change at once (the cache has tests of its own)
    return CoreSettings(
        _env_file=None,
        data_dir=tmp_path / "data",
        database_url=db_url,
        secret_key="test-secret",
        queue_position_cache_seconds=0,
        database_pool_size=10,  # two test processes stay well inside PostgreSQL's 100 connections
    )


def make_web_settings(tmp_path: Path, db_url: str, **overrides: Any) -> WebSettings:
    """The web app's settings for a test: its own data dir and database, no background sweeps."""
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "database_url": db_url,
        "secret_key": "test-secret",
        "run_sweeps": False,
    }
    return WebSettings(_env_file=None, **(values | overrides))


@pytest.fixture
def web_settings(tmp_path: Path, db_url: str) -> WebSettings:
    return make_web_settings(tmp_path, db_url)


@pytest.fixture
async def service(settings: CoreSettings, frozen_clock: clock_mod.FrozenClock) -> AsyncIterator[HordeService]:
    svc = HordeService.open(settings, clock=frozen_clock)
    await svc.users.bootstrap()
    yield svc
    await svc.close()


@pytest.fixture(autouse=True)
def _environment_unchanged() -> Iterator[None]:
    """A test must leave ``os.environ`` as it found it (settings are read once, in entry points)."""

    def snapshot() -> dict[str, str]:
        return {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}

    before = snapshot()
    yield
    assert snapshot() == before, "the test changed os.environ"
