"""Nodes of a cluster start together and each runs the migrations: one migrates, the others wait, none fails."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import _pg_admin, _pg_url, _run


@pytest.mark.pg
def test_four_nodes_upgrading_one_empty_database_at_once_all_succeed() -> None:
    name = "horde_t_concurrent_upgrade"
    _run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'))
    try:
        code = f"from horde.queue.store import migrate; migrate.upgrade({_pg_url(name)!r})"
        nodes = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE) for _ in range(4)]
        outcomes = [(node.wait(timeout=120), node.stderr.read() if node.stderr else b"") for node in nodes]
        for node in nodes:
            if node.stderr:
                node.stderr.close()
        assert [rc for rc, _ in outcomes] == [0, 0, 0, 0], [err.decode()[-800:] for _, err in outcomes]
    finally:
        _run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
