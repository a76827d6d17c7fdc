"""``HORDE_KEEP_ALIVE_SECONDS``: how long ``horde serve`` keeps an idle connection open for the client's next request.

uvicorn's own 5 s is the same as httpx's pool expiry: a client reusing a connection at about 5 s raced the server
closing it, and lost the request (the 10-minute soak counted 11 dropped calls against one node).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from horde.webapp.settings import WebSettings
from tests.test_cli import HORDE
from tests.test_serve_workers import free_port, wait_until_up

HEARTBEAT = b"GET /api/v2/status/heartbeat HTTP/1.1\r\nHost: horde\r\n\r\n"


def answer(sock: socket.socket) -> bytes:
    """One response on a kept-alive connection: its head, then as many body bytes as it announces."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, "the server closed the connection instead of answering"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    while len(body) < length:
        body += sock.recv(4096)
    return head.split(b"\r\n")[0]


def seconds_until_closed(sock: socket.socket) -> float:
    start = time.monotonic()
    sock.settimeout(15)
    assert sock.recv(1) == b"", "the server sent something unasked"
    return time.monotonic() - start


@pytest.mark.parametrize("processes", [1, 2])
def test_an_idle_connection_stays_open_as_long_as_the_setting_says(tmp_path: Path, processes: int) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HORDE_", "PROMETHEUS_"))}
    env.update({"HORDE_DATA_DIR": str(tmp_path), "HORDE_KEEP_ALIVE_SECONDS": "1"})
    port = free_port()
    with (tmp_path / "serve.log").open("wb") as out:
        server = subprocess.Popen(
            [HORDE, "serve", "--port", str(port), "--workers", str(processes)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_up(f"http://127.0.0.1:{port}", server)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(HEARTBEAT)
            assert answer(sock) == b"HTTP/1.1 200 OK"
            time.sleep(0.3)
            sock.sendall(HEARTBEAT)  # the same connection, still open
            assert answer(sock) == b"HTTP/1.1 200 OK"
            idle = seconds_until_closed(sock)
        assert 0.8 < idle < 4.0, idle  # uvicorn's default would have kept it 5 s
    finally:
        server.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)  # whatever outlived it


def test_by_default_connections_outlive_the_clients_own_idle_timeouts() -> None:
    """httpx drops an idle pooled connection after 5 s and aiohttp after 15 s: the server must wait longer."""
    assert WebSettings.model_fields["keep_alive_seconds"].default > 15
