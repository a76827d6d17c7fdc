"""Benchmark of the API under 50 concurrent clients, through a real uvicorn server (a child process).

    .venv/bin/python bench/api.py [--seconds 5] [--clients 50] [--waiting 1000] [--pg postgresql://postgres@127.0.0.1:5432/postgres]

For SQLite and (when reachable) PostgreSQL: queue ``--waiting`` requests for a model no worker serves, then measure
requests/s and p50/p99 latency of ``generate/check``, ``generate/status`` and an empty ``generate/pop``.
Rate limits are off (``HORDE_RATE_LIMITS=off``), as the issue asks for benchmarks.
"""

from __future__ import annotations

import sys

# bench/queue.py would shadow the standard library's queue (asyncio needs it) when bench/ is sys.path[0]
sys.path[:] = [p for p in sys.path if not p.rstrip("/").endswith("bench")]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402

IMAGE = {"prompt": "a bench cat", "models": ["bench-model"], "params": {"width": 64, "height": 64, "steps": 4}}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(url: str, port: int, data_dir: str) -> None:
    """The child: migrate, create accounts (keys on stdout), serve."""
    import uvicorn

    from horde.queue.domain.roles import Role
    from horde.queue.service import SYSTEM, HordeService
    from horde.queue.store import migrate
    from horde.webapp.app import create_app
    from horde.webapp.settings import WebSettings

    migrate.upgrade(url)
    settings = WebSettings(
        _env_file=None,
        data_dir=Path(data_dir),
        database_url=url,
        secret_key="bench",
        rate_limits="off",
        run_sweeps=False,
        public_url=f"http://127.0.0.1:{port}",
    )

    async def accounts() -> list[str]:
        svc = HordeService.open(settings)
        try:
            await svc.users.bootstrap()
            asker = await svc.users.create_user(SYSTEM, "asker", kudos=1_000_000, concurrency=1000, role=Role.TRUSTED)
            worker = await svc.users.create_user(SYSTEM, "worker", role=Role.TRUSTED)
        finally:
            await svc.close()
        return [asker.api_key, worker.api_key]

    sys.stdout.write(" ".join(asyncio.run(accounts())) + "\n")
    sys.stdout.flush()
    uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def hammer(name: str, clients: int, seconds: float, make: Any) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def one(i: int) -> None:
            nonlocal errors
            while time.monotonic() < stop:
                started = time.perf_counter()
                response = await make(client, i)
                latencies.append(time.perf_counter() - started)
                if response.status_code >= 400:
                    errors += 1

        began = time.monotonic()
        await asyncio.gather(*(one(i) for i in range(clients)))
        elapsed = time.monotonic() - began
    return {
        "rps": len(latencies) / elapsed,
        "p50": percentile(latencies, 0.5) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "n": len(latencies),
        "errors": errors,
    }


async def run_one(label: str, url: str, args: argparse.Namespace) -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        child = subprocess.Popen(  # noqa: S603, ASYNC220 - our own interpreter and script
            [sys.executable, "-P", __file__, "--serve", url, str(port), data_dir],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "HORDE_RATE_LIMITS": "off"},
        )
        try:
            if child.stdout is None:  # pragma: no cover - stdout=PIPE
                raise RuntimeError("no stdout")
            asker, worker = child.stdout.readline().split()
            base = f"http://127.0.0.1:{port}/api/v2"
            async with httpx.AsyncClient(timeout=30) as client:
                for _ in range(200):
                    try:
                        await client.get(f"{base}/status/heartbeat")
                        break
                    except httpx.TransportError:
                        await asyncio.sleep(0.05)
                ids = []
                for _ in range(args.waiting):
                    r = await client.post(f"{base}/generate/async", json=IMAGE, headers={"apikey": asker})
                    r.raise_for_status()
                    ids.append(r.json()["id"])
            pop = {"name": "bench-worker", "models": ["other-model"], "max_pixels": 262144}
            async with httpx.AsyncClient(timeout=30) as client:  # register the worker before the concurrent pops
                (await client.post(f"{base}/generate/pop", json=pop, headers={"apikey": worker})).raise_for_status()
            probes = {
                "check": lambda c, i: c.get(f"{base}/generate/check/{ids[i % len(ids)]}"),
                "status": lambda c, i: c.get(f"{base}/generate/status/{ids[i % len(ids)]}"),
                "pop (empty)": lambda c, i: c.post(f"{base}/generate/pop", json=pop, headers={"apikey": worker}),
            }
            for name, make in probes.items():
                r = await hammer(name, args.clients, args.seconds, make)
                print(
                    f"{label:10} {name:12} {r['rps']:8.0f} req/s  p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} ms"
                    f"  n={r['n']:.0f} errors={r['errors']:.0f}"
                )
        finally:
            child.terminate()
            child.wait(timeout=10)


async def pg_database(admin_url: str) -> str | None:
    try:
        import asyncpg

        conn = await asyncpg.connect(admin_url.replace("postgresql://", "postgres://"), timeout=3)
    except (TimeoutError, OSError, ImportError) as exc:
        print(f"PostgreSQL skipped: {exc}")
        return None
    name = f"horde_bench_{uuid.uuid4().hex[:8]}"
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return admin_url.rsplit("/", 1)[0] + "/" + name


async def drop_pg(admin_url: str, url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url.replace("postgresql://", "postgres://"))
    await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    await conn.close()


async def main(args: argparse.Namespace) -> None:
    print(f"{args.clients} concurrent clients, {args.seconds:g} s per endpoint, {args.waiting} requests waiting")
    with tempfile.TemporaryDirectory() as folder:
        await run_one("SQLite", f"sqlite:///{folder}/bench.db", args)
    url = await pg_database(args.pg)
    if url:
        try:
            await run_one("PostgreSQL", url, args)
        finally:
            await drop_pg(args.pg, url)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
        parser.add_argument("--seconds", type=float, default=5.0)
        parser.add_argument("--clients", type=int, default=50)
        parser.add_argument("--waiting", type=int, default=1000)
        parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
        asyncio.run(main(parser.parse_args()))
