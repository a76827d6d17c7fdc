"""One secret for every node: on PostgreSQL nothing is generated per node, so no node hashes keys differently."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from horde.queue import errors
from horde.queue.service import SYSTEM, HordeService
from horde.queue.service.keys import MissingSecretError
from horde.queue.settings import CoreSettings
from tests.test_cli import horde

#: nothing listens here: the refusal must come before any connection is tried
NOWHERE = "postgresql://horde@127.0.0.1:9/horde"


def pg_settings(data_dir: Path, url: str = NOWHERE, secret: str | None = None) -> CoreSettings:
    return CoreSettings(_env_file=None, data_dir=data_dir, database_url=url, secret_key=secret, database_pool_size=5)


def test_postgres_without_a_secret_refuses_and_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(MissingSecretError) as refused:
        HordeService.open(pg_settings(tmp_path / "data"))
    message = str(refused.value)
    assert "HORDE_SECRET_KEY" in message
    assert "every node" in message
    assert "docs/howto/postgresql.md" in message
    assert not (tmp_path / "data" / "secret_key").exists()  # nothing generated that another node would lack


def test_a_secret_generated_earlier_is_named_so_keys_made_so_far_stay_valid(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("old-generated-secret")
    with pytest.raises(MissingSecretError, match="secret_key: set HORDE_SECRET_KEY to its content"):
        HordeService.open(pg_settings(tmp_path))


@pytest.fixture
def sqlite_data_dir(tmp_path: Path, migrated_sqlite: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(migrated_sqlite, data / "horde.db")
    return data


async def test_sqlite_still_generates_one_secret_and_keeps_it(sqlite_data_dir: Path) -> None:
    data = sqlite_data_dir
    settings = CoreSettings(_env_file=None, data_dir=data)
    first = HordeService.open(settings)
    second = HordeService.open(settings)
    try:
        created = await first.users.create_user(SYSTEM, "alice")
        assert (await second.users.authenticate(created.api_key)).user_id is not None
        assert oct((data / "secret_key").stat().st_mode & 0o777) == oct(0o600)
    finally:
        await first.close()
        await second.close()


def test_horde_serve_on_postgres_without_a_secret_stops_with_the_message(tmp_path: Path) -> None:
    result = horde("serve", "--port", "1", data_dir=tmp_path, extra_env={"HORDE_DATABASE_URL": NOWHERE})
    assert result.returncode == 2
    assert "horde: HORDE_SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.pg
async def test_two_nodes_on_one_database_accept_each_others_keys(tmp_path: Path, pg_url: str) -> None:
    """Two nodes, each with its own data dir, as behind a load balancer: a key made on one works on the other."""
    node_a = HordeService.open(pg_settings(tmp_path / "a", pg_url, "cluster-secret"))
    node_b = HordeService.open(pg_settings(tmp_path / "b", pg_url, "cluster-secret"))
    try:
        await node_a.users.bootstrap()
        made_on_a = await node_a.users.create_user(SYSTEM, "alice")
        made_on_b = await node_b.users.create_user(SYSTEM, "bob")
        assert (await node_b.users.authenticate(made_on_a.api_key)).user_id == made_on_a.user.id
        assert (await node_a.users.authenticate(made_on_b.api_key)).user_id == made_on_b.user.id
        stranger = HordeService.open(pg_settings(tmp_path / "c", pg_url, "another-secret"))
        try:
            with pytest.raises(errors.AuthError):
                await stranger.users.authenticate(made_on_a.api_key)
        finally:
            await stranger.close()
    finally:
        await node_a.close()
        await node_b.close()
