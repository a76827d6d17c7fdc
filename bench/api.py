"""Benchmark of the REST API through a real uvicorn server (a child process), driven by a lean load generator.

    .venv/bin/python bench/api.py [--seconds 5] [--cycle-seconds 30] [--clients 50] [--waiting 1000]
                                  [--only sqlite|pg] [--pg postgresql://postgres@127.0.0.1:5432/postgres]

The load generator is a minimal HTTP/1.1 keep-alive client on asyncio (uvloop when installed): one
``asyncio.Protocol`` per connection, one request in flight on each, responses read by their ``Content-Length``. It
costs a few microseconds a request, so on a 2-core machine the server (one process, one core) is what is measured,
not the client. For SQLite and (when reachable) PostgreSQL, each phase prints requests/s, p50, p99, n and errors:

- full cycles, upstream's shape (``../shared/reference/performance.md`` §8): 8 requesters each keeping 2 requests in
  flight (``generate/async`` 64x64, 4 steps, n=1, r2=false; ``generate/check`` every 0.1 s until done, then one
  ``generate/status``) and 4 fake workers looping ``generate/pop`` → ``generate/submit`` with a small base64 webp;
- then ``--waiting`` requests are queued for a model no worker serves, and ``--clients`` clients poll
  ``generate/check`` and ``generate/status`` over them;
- empty ``generate/pop`` (the worker's model is not requested) with those requests waiting, with 4 clients
  (upstream's shape: about 4 in flight) and with ``--clients``.

The end prints each figure beside the upstream anchor and the 10x target. Rate limits are off
(``HORDE_RATE_LIMITS=off``), as the issue asks for benchmarks.
"""

from __future__ import annotations

import sys

# bench/queue.py would shadow the standard library's queue (asyncio needs it) when bench/ is sys.path[0]
sys.path[:] = [p for p in sys.path if not p.rstrip("/").endswith("bench")]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import base64  # noqa: E402
import dataclasses  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Callable, Coroutine  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, cast  # noqa: E402

WAITING = {"prompt": "a bench cat", "models": ["bench-model"], "params": {"width": 64, "height": 64, "steps": 4}}
CYCLE = {
    "prompt": "a cycling cat",
    "models": ["cycle-model"],
    "params": {"width": 64, "height": 64, "steps": 4, "n": 1},
    "r2": False,
}
IDLE_MODELS = ["other-model"]  #: what the empty-pop workers serve: nothing waiting asks for it
REQUESTERS, IN_FLIGHT, WORKERS = 8, 2, 4
POLL_SECONDS, EMPTY_POP_SLEEP = 0.1, 0.02
SETUP_CONNECTIONS = 8
WORKER_OWNERS, WORKERS_PER_OWNER = 4, 20  #: a trusted account may run 20 workers


# --- the lean HTTP/1.1 client ------------------------------------------------------------------------------------


class ResponseError(Exception):
    """The server's answer could not be read (no Content-Length, a closed connection)."""


def parse_response(buffer: bytearray) -> tuple[int, bytes] | None:
    """The complete response at the head of ``buffer`` (then removed from it), or None while it is incomplete."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = bytes(buffer[:end]).split(b"\r\n")
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise ResponseError(f"no Content-Length in {lines[0]!r}")
    total = end + 4 + length
    if len(buffer) < total:
        return None
    body = bytes(buffer[end + 4 : total])
    del buffer[:total]
    return int(lines[0].split(b" ", 2)[1]), body


class Connection(asyncio.Protocol):
    """One keep-alive connection, one request in flight."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # a TCP connection (uvloop's is no subclass)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        try:
            parsed = parse_response(self.buffer)
        except (ResponseError, ValueError) as exc:
            waiter.set_exception(ResponseError(str(exc)))
            return
        if parsed is not None:
            waiter.set_result(parsed)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ResponseError(f"connection closed: {exc}"))

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.transport is None:
            raise ResponseError("connection closed")
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await self.waiter

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


@dataclasses.dataclass(frozen=True)
class Target:
    """The server under test: where it listens, and how its requests are spelled."""

    port: int
    host: str = "127.0.0.1"

    def raw(self, method: str, path: str, body: object = None, key: str | None = None) -> bytes:
        """One request's bytes; ``path`` is under ``/api/v2``."""
        lines = [f"{method} /api/v2{path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        if key is not None:
            lines.append(f"apikey: {key}")
        payload = b""
        if body is not None:
            payload = json.dumps(body).encode()
            lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload

    async def connect(self) -> Connection:
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_connection(Connection, self.host, self.port)
        return protocol

    async def reopened(self, conn: Connection) -> Connection:
        """``conn``, or a new connection when the server closed it."""
        return conn if conn.transport is not None else await self.connect()

    async def connect_many(self, count: int) -> list[Connection]:
        return list(await asyncio.gather(*(self.connect() for _ in range(count))))


@dataclasses.dataclass(frozen=True)
class Keys:
    """The API keys the child server printed: a rich requester and a trusted worker owner."""

    asker: str  #: queues the waiting requests
    cycler: str  #: the requesters of the full-cycle phase
    workers: tuple[str, ...]  #: trusted worker owners, ``WORKERS_PER_OWNER`` workers each

    def worker(self, index: int) -> str:
        """The key of the account that runs worker ``index``."""
        return self.workers[index // WORKERS_PER_OWNER]


# --- figures ----------------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The q-quantile in milliseconds (nan when there are no values)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def exchange(conn: Connection, raw: bytes) -> tuple[int, bytes, float] | None:
    """One request: status, body and seconds taken; None when the connection failed."""
    started = time.perf_counter()
    try:
        status, body = await conn.request(raw)
    except ResponseError:
        return None
    return status, body, time.perf_counter() - started


@dataclasses.dataclass
class Timings:
    """Latencies (seconds) and errors of one kind of request."""

    latencies: list[float] = dataclasses.field(default_factory=list)
    errors: int = 0
    first_error: str = ""  #: what went wrong first, to print beside the count

    def error(self, what: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or what

    async def send(self, conn: Connection, raw: bytes, expect: int = 200) -> bytes | None:
        """Send and time one request; the body, or None (counted as an error) on another status or a failure."""
        answer = await exchange(conn, raw)
        if answer is None:
            self.error("connection lost")
            return None
        status, body, elapsed = answer
        self.latencies.append(elapsed)
        if status != expect:
            self.error(f"{status} {body[:160].decode(errors='replace')}")
            return None
        return body

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 0.5)

    @property
    def p99(self) -> float:
        return percentile(self.latencies, 0.99)


def row(label: str, phase: str, rate: float, timings: Timings) -> None:
    print(
        f"{label:10} {phase:26} {rate:8.1f} req/s  p50 {timings.p50:7.1f} ms  p99 {timings.p99:7.1f} ms"
        f"  n={len(timings.latencies):<7} errors={timings.errors}"
        + (f" (first: {timings.first_error})" if timings.first_error else ""),
        flush=True,
    )


@dataclasses.dataclass
class Results:
    """The figures the summary compares with upstream's, per database."""

    figures: dict[str, dict[str, float]] = dataclasses.field(default_factory=dict)

    def put(self, label: str, name: str, value: float) -> None:
        self.figures.setdefault(label, {})[name] = value


# --- closed-loop phases -----------------------------------------------------------------------------------------


async def hammer(target: Target, clients: int, seconds: float, make: Callable[[int], bytes]) -> tuple[float, Timings]:
    """``clients`` connections, each sending ``make(n)`` back to back for ``seconds``; the rate and the timings.

    Each connection's first answer is awaited before the clock starts: a busy uvloop server accepts about one new
    connection per loop turn, so first requests would measure connection set-up, not the steady state."""
    conns = await target.connect_many(clients)
    await asyncio.gather(*(conn.request(make(i)) for i, conn in enumerate(conns)))  # accepted and warm, untimed
    timings = Timings()
    stop = time.perf_counter() + seconds

    async def loop(index: int, conn: Connection) -> None:
        n = index
        while time.perf_counter() < stop:
            conn = await target.reopened(conn)
            await timings.send(conn, make(n))
            n += clients

    began = time.perf_counter()
    await asyncio.gather(*(loop(i, c) for i, c in enumerate(conns)))
    elapsed = time.perf_counter() - began
    for conn in conns:
        conn.close()
    return len(timings.latencies) / elapsed, timings


# --- the full-cycle phase ---------------------------------------------------------------------------------------


def small_webp() -> str:
    """A 64x64 webp, base64: what a fake worker submits."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 120, 40)).save(out, format="WEBP", quality=80)
    return base64.b64encode(out.getvalue()).decode()


@dataclasses.dataclass
class Cycle:
    """What the requesters and workers of the full-cycle phase measured."""

    asks: Timings = dataclasses.field(default_factory=Timings)
    checks: Timings = dataclasses.field(default_factory=Timings)
    statuses: Timings = dataclasses.field(default_factory=Timings)
    pops: Timings = dataclasses.field(default_factory=Timings)  #: pops that got a job
    empty_pops: Timings = dataclasses.field(default_factory=Timings)
    submits: Timings = dataclasses.field(default_factory=Timings)
    end_to_end: Timings = dataclasses.field(default_factory=Timings)
    bad_results: int = 0
    seconds: float = 0.0

    @property
    def errors(self) -> int:
        parts = (self.asks, self.checks, self.statuses, self.pops, self.empty_pops, self.submits)
        return sum(t.errors for t in parts) + self.bad_results


async def follow(conn: Connection, target: Target, cycle: Cycle, request_id: str, stop: float) -> bytes | None:
    """Poll ``check`` every ``POLL_SECONDS`` until done, then fetch ``status``; None when the phase ends first."""
    while time.perf_counter() < stop:
        await asyncio.sleep(POLL_SECONDS)
        body = await cycle.checks.send(conn, target.raw("GET", f"/generate/check/{request_id}"))
        if body is None:
            return None
        if json.loads(body)["done"]:
            return await cycle.statuses.send(conn, target.raw("GET", f"/generate/status/{request_id}"))
    return None


async def requester(target: Target, key: str, cycle: Cycle, stop: float) -> None:
    conn = await target.connect()
    ask = target.raw("POST", "/generate/async", CYCLE, key)
    while time.perf_counter() < stop:
        conn = await target.reopened(conn)
        began = time.perf_counter()
        body = await cycle.asks.send(conn, ask, expect=202)
        if body is None:
            await asyncio.sleep(POLL_SECONDS)
            continue
        status = await follow(conn, target, cycle, json.loads(body)["id"], stop)
        if status is None or time.perf_counter() > stop:
            continue
        generations = json.loads(status)["generations"]
        if len(generations) != 1 or len(generations[0]["img"]) < 100:
            cycle.bad_results += 1
            continue
        cycle.end_to_end.latencies.append(time.perf_counter() - began)
    conn.close()


async def worker(target: Target, key: str, name: str, image: str, cycle: Cycle, stop: float) -> None:
    conn = await target.connect()
    pop = target.raw("POST", "/generate/pop", {"name": name, "models": ["cycle-model"], "max_pixels": 262144}, key)
    while time.perf_counter() < stop:
        conn = await target.reopened(conn)
        answer = await exchange(conn, pop)
        if answer is None or answer[0] != 200:
            cycle.pops.error(f"{answer[0]} {answer[1][:160]!r}" if answer else "connection lost")
            await asyncio.sleep(EMPTY_POP_SLEEP)
            continue
        _, body, elapsed = answer
        job = json.loads(body)
        if job["id"] is None:  # timed apart from the pops that got a job
            cycle.empty_pops.latencies.append(elapsed)
            await asyncio.sleep(EMPTY_POP_SLEEP)
            continue
        cycle.pops.latencies.append(elapsed)
        submit = {"id": job["id"], "generation": image, "state": "ok", "seed": int(job["payload"]["seed"])}
        await cycle.submits.send(conn, target.raw("POST", "/generate/submit", submit, key))
    conn.close()


async def full_cycles(target: Target, keys: Keys, seconds: float) -> tuple[float, Cycle]:
    cycle = Cycle()
    image = small_webp()
    stop = time.perf_counter() + seconds
    began = time.perf_counter()
    await asyncio.gather(
        *(requester(target, keys.cycler, cycle, stop) for _ in range(REQUESTERS * IN_FLIGHT)),
        *(worker(target, keys.worker(i), f"bench-cycle-{i}", image, cycle, stop) for i in range(WORKERS)),
    )
    cycle.seconds = time.perf_counter() - began
    return len(cycle.end_to_end.latencies) / cycle.seconds, cycle


def report_cycle(label: str, rate: float, cycle: Cycle, results: Results) -> None:
    print(
        f"{label:10} {'full cycles':26} {rate:8.1f} completed/s  end-to-end p50 {cycle.end_to_end.p50:6.0f} ms"
        f"  p99 {cycle.end_to_end.p99:6.0f} ms  errors={cycle.errors}",
        flush=True,
    )
    for name, timings in [
        ("  generate/async", cycle.asks),
        ("  generate/check (polls)", cycle.checks),
        ("  generate/status (result)", cycle.statuses),
        ("  generate/pop (with a job)", cycle.pops),
        ("  generate/pop (empty)", cycle.empty_pops),
        ("  generate/submit", cycle.submits),
    ]:
        row(label, name, len(timings.latencies) / cycle.seconds, timings)
    for name, value in [
        ("cycles/s", rate),
        ("async p50", cycle.asks.p50),
        ("async p99", cycle.asks.p99),
        ("pop p50", cycle.pops.p50),
        ("pop p99", cycle.pops.p99),
        ("submit p50", cycle.submits.p50),
        ("submit p99", cycle.submits.p99),
        ("e2e p50", cycle.end_to_end.p50),
        ("cycle errors", float(cycle.errors)),
    ]:
        results.put(label, name, value)


# --- setup and the server ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(url: str, port: int, data_dir: str) -> None:
    """The child: migrate, create accounts (keys on stdout), serve (httptools and uvloop when installed)."""
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
            askers = [
                await svc.users.create_user(SYSTEM, name, kudos=10**9, concurrency=1000, role=Role.TRUSTED)
                for name in ("asker", "cycler")
            ]
            owners = [
                await svc.users.create_user(SYSTEM, f"worker{i}", role=Role.TRUSTED) for i in range(WORKER_OWNERS)
            ]
        finally:
            await svc.close()
        return [*(a.api_key for a in askers), *(o.api_key for o in owners)]

    sys.stdout.write(" ".join(asyncio.run(accounts())) + "\n")
    sys.stdout.flush()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    config.load()
    loop_factory = getattr(config, "get_loop_factory", lambda: None)()
    loop = getattr(loop_factory, "__module__", config.loop)
    sys.stderr.write(f"server: uvicorn with {config.http_protocol_class.__name__}, event loop from {loop}\n")
    uvicorn.Server(config).run()


async def wait_until_up(target: Target) -> None:
    for _ in range(400):
        try:
            conn = await target.connect()
        except OSError:
            await asyncio.sleep(0.05)
            continue
        status, _ = await conn.request(target.raw("GET", "/status/heartbeat"))
        conn.close()
        if status == 200:
            return
    raise RuntimeError("the server did not start")


async def queue_waiting(target: Target, key: str, count: int) -> list[str]:
    """Queue ``count`` requests for a model no worker serves; their ids."""
    conns = await target.connect_many(SETUP_CONNECTIONS)
    raw = target.raw("POST", "/generate/async", WAITING, key)
    ids: list[str] = []

    async def loop(index: int, conn: Connection) -> None:
        for _ in range(index, count, SETUP_CONNECTIONS):
            status, body = await conn.request(raw)
            if status != 202:
                raise RuntimeError(f"generate/async answered {status}: {body[:200]!r}")
            ids.append(json.loads(body)["id"])

    await asyncio.gather(*(loop(i, c) for i, c in enumerate(conns)))
    for conn in conns:
        conn.close()
    return ids


def idle_pops(target: Target, keys: Keys, clients: int) -> list[bytes]:
    """One idle worker per client (a worker pops one job at a time), each asking for a model nobody wants; they are
    numbered after the full-cycle phase's workers, so no account runs more workers than it may."""
    if WORKERS + clients > WORKER_OWNERS * WORKERS_PER_OWNER:
        raise ValueError(f"at most {WORKER_OWNERS * WORKERS_PER_OWNER - WORKERS} clients")
    return [
        target.raw(
            "POST", "/generate/pop", {"name": f"bench-idle-{i}", "models": IDLE_MODELS}, keys.worker(WORKERS + i)
        )
        for i in range(clients)
    ]


def rotate(requests: list[bytes]) -> Callable[[int], bytes]:
    """``make`` for ``hammer``: request ``n`` is ``requests[n % len(requests)]`` (client i sends i, i + clients, …)."""
    return lambda n: requests[n % len(requests)]


async def measure(label: str, target: Target, keys: Keys, args: argparse.Namespace, results: Results) -> None:
    if args.cycle_seconds > 0:  # first, on an empty queue, as upstream measured it
        rate, cycle = await full_cycles(target, keys, args.cycle_seconds)
        report_cycle(label, rate, cycle, results)
    ids = await queue_waiting(target, keys.asker, args.waiting)
    checks = [target.raw("GET", f"/generate/check/{i}") for i in ids]
    statuses = [target.raw("GET", f"/generate/status/{i}") for i in ids]
    phases = [
        ("generate/check", "check", args.clients, rotate(checks)),
        ("generate/status", "status", args.clients, rotate(statuses)),
        ("generate/pop (empty)", "empty pop 4", 4, rotate(idle_pops(target, keys, 4))),
        (
            "generate/pop (empty)",
            f"empty pop {args.clients}",
            args.clients,
            rotate(idle_pops(target, keys, args.clients)),
        ),
    ]
    for name, key, clients, make in phases:
        rate, timings = await hammer(target, clients, args.seconds, make)
        row(label, f"{name} x{clients}", rate, timings)
        results.put(label, f"{key} rps", rate)
        results.put(label, f"{key} p50", timings.p50)
        results.put(label, f"{key} p99", timings.p99)
        results.put(label, f"{key} errors", float(timings.errors))


async def run_one(label: str, url: str, args: argparse.Namespace, results: Results) -> None:
    target = Target(free_port())
    with tempfile.TemporaryDirectory() as data_dir:
        child = subprocess.Popen(  # noqa: S603, ASYNC220 - our own interpreter and script
            [sys.executable, "-P", __file__, "--serve", url, str(target.port), data_dir],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "HORDE_RATE_LIMITS": "off"},
        )
        try:
            if child.stdout is None:  # pragma: no cover - stdout=PIPE
                raise RuntimeError("no stdout")
            asker, cycler, *owners = child.stdout.readline().split()
            keys = Keys(asker, cycler, tuple(owners))
            await wait_until_up(target)
            await measure(label, target, keys, args, results)
        finally:
            child.terminate()
            child.wait(timeout=10)


# --- PostgreSQL -------------------------------------------------------------------------------------------------


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


# --- the summary ------------------------------------------------------------------------------------------------

#: (figure, upstream's value, the 10x target, True when higher is better); performance.md §8
ANCHORS: list[tuple[str, float, float, bool]] = [
    ("cycles/s", 9.6, 96.0, True),
    ("async p50", 224, 22.4, False),
    ("async p99", 549, 54.9, False),
    ("pop p50", 72, 7.2, False),
    ("pop p99", 183, 18.3, False),
    ("submit p50", 222, 22.2, False),
    ("submit p99", 626, 62.6, False),
    ("e2e p50", 1700, 170, False),
    ("check p99", 1292, 50, False),  # the issue's own target (50 ms) is stricter than 10x (129 ms)
    ("status p99", 1292, 50, False),
    ("empty pop 4 p99", 103, 10.3, False),
]


def summary(results: Results) -> None:
    labels = list(results.figures)
    print("\nagainst upstream AI Horde (performance.md §8) and the 10x target (ms unless /s; p99 target for polls:")
    print("the issue's 50 ms):")
    print(f"{'figure':18} {'upstream':>9} {'target':>9} " + " ".join(f"{label:>18}" for label in labels))
    for name, upstream, target, higher in ANCHORS:
        cells = []
        for label in labels:
            value = results.figures[label].get(name, float("nan"))
            met = value >= target if higher else value <= target
            cells.append(f"{value:>12.1f} {'ok' if met else 'MISS':>5}")
        sign = ">=" if higher else "<="
        print(f"{name:18} {upstream:>9g} {sign}{target:>7g} " + " ".join(cells))
    for label in labels:
        errors = sum(v for k, v in results.figures[label].items() if k.endswith("errors"))
        print(f"{label}: {errors:.0f} errors in all phases")


async def main(args: argparse.Namespace) -> None:
    print(
        f"{args.clients} clients, {args.seconds:g} s per phase, {args.waiting} requests waiting, full cycles for "
        f"{args.cycle_seconds:g} s ({REQUESTERS} requesters x {IN_FLIGHT}, {WORKERS} workers)",
        flush=True,
    )
    results = Results()
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            await run_one("SQLite", f"sqlite:///{folder}/bench.db", args, results)
    if args.only in (None, "pg"):
        url = await pg_database(args.pg)
        if url:
            try:
                await run_one("PostgreSQL", url, args, results)
            finally:
                await drop_pg(args.pg, url)
    summary(results)


def run(coro: Coroutine[Any, Any, None]) -> None:
    """Run on uvloop when it is installed (the client must be cheaper than the server it measures)."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(coro)
        return
    uvloop.run(coro)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
        parser.add_argument("--seconds", type=float, default=5.0, help="seconds per polling and empty-pop phase")
        parser.add_argument(
            "--cycle-seconds", type=float, default=30.0, help="seconds of the full-cycle phase (0: skip)"
        )
        parser.add_argument("--clients", type=int, default=50)
        parser.add_argument("--waiting", type=int, default=1000)
        parser.add_argument("--only", choices=["sqlite", "pg"], default=None)
        parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
        run(main(parser.parse_args()))
