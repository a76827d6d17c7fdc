"""``horde serve --workers N``: N uvicorn processes on one port, one database, one set of metrics."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.test_cli import HORDE, _alive, _children

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads child processes from /proc")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_up(url: str, server: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, f"horde serve exited with {server.returncode}"
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/api/v2/status/heartbeat", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise AssertionError("horde serve did not answer")


def requests_counted(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=5).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("horde_http_requests_total{") and 'route="/api/v2/status/heartbeat"' in line
    )


def test_serve_with_two_processes_serves_and_adds_up_its_metrics(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HORDE_", "PROMETHEUS_"))}
    env.update({"HORDE_DATA_DIR": str(tmp_path), "HORDE_SWEEP_INTERVAL": "0.2"})
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [HORDE, "serve", "--port", str(port), "--workers", "2"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    children: list[int] = []
    try:
        wait_until_up(url, server)
        children = [pid for pid in _children(server.pid) if b"spawn" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert len(children) == 2, children

        with httpx.Client(base_url=url, timeout=5) as client:  # new connections, spread over the processes
            before = requests_counted(url)
            for _ in range(40):
                assert client.get("/api/v2/status/heartbeat", headers={"Connection": "close"}).status_code == 200
        assert requests_counted(url) - before == 40  # counted by whichever process answered, summed by any

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0, log.read_text()
        deadline = time.monotonic() + 20
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(pid) for pid in children), "a serving process outlived horde serve"
    finally:
        for pid in {server.pid, *children}:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_workers_must_be_positive(tmp_path: Path) -> None:
    result = subprocess.run(
        [HORDE, "serve", "--workers", "0"],
        env={k: v for k, v in os.environ.items() if not k.startswith("HORDE_")} | {"HORDE_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode != 0
    assert "--workers must be 1 or more" in result.stderr
