"""Soak test (not a test of the suite): keep requesters and workers busy for a while, then print throughput,
p50/p99 latencies and errors.

    # against a running node, or HAProxy in front of N nodes (accounts are made in the database the nodes use,
    # read from the same HORDE_DATABASE_URL and HORDE_SECRET_KEY as theirs):
    .venv/bin/python bench/soak.py --url http://127.0.0.1:8080 --requesters 200 --workers 50 --seconds 600

    # the scaling table: 1 node, 2 nodes behind HAProxy, 1 node with --workers 2, each on a fresh PostgreSQL
    # database (made through --pg) with the rate limits off:
    .venv/bin/python bench/soak.py --scaling --requesters 200 --workers 50 --seconds 600

    # one row of it (--setup 1, 2 or 1x2; repeatable):
    .venv/bin/python bench/soak.py --scaling --setup 2 --requesters 200 --workers 50 --seconds 600

Requesters loop over ``generate/async`` (64x64, 4 steps, n=1) → ``generate/check`` every 0.5 s until done →
``generate/status``. Workers are lean HTTP loops (``generate/pop`` → ``generate/submit`` with a small base64
webp), not diffusion models: what is measured is the horde, not the GPUs. An answer of 500 or more, or a dropped
connection, counts as an error and is tried again; a refused ``generate/async`` counts as one too. The report says
what each error was.
"""

from __future__ import annotations

import sys

# bench/queue.py would shadow the standard library's queue (asyncio needs it) when bench/ is sys.path[0]
sys.path[:] = [p for p in sys.path if not p.rstrip("/").endswith("bench")]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import base64  # noqa: E402
import contextlib  # noqa: E402
import dataclasses  # noqa: E402
import io  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import httpx  # noqa: E402
from PIL import Image  # noqa: E402

from horde.queue.service import SYSTEM, HordeService, Role  # noqa: E402
from horde.queue.settings import CoreSettings  # noqa: E402

HORDE = shutil.which("horde", path=str(Path(sys.executable).parent)) or "horde"
ROOT = Path(__file__).resolve().parent.parent
IMAGE = {"prompt": "soak", "models": ["tiny"], "params": {"width": 64, "height": 64, "steps": 4, "n": 1}}
SECRET = "soak-secret"  # noqa: S105 - a throwaway database's


@dataclasses.dataclass
class Stats:
    latencies: dict[str, list[float]] = dataclasses.field(default_factory=dict)  #: call -> seconds
    errors: dict[str, int] = dataclasses.field(default_factory=dict)
    kinds: dict[str, int] = dataclasses.field(default_factory=dict)  #: "call: what went wrong" -> count
    images: int = 0

    def timed(self, name: str, seconds: float) -> None:
        self.latencies.setdefault(name, []).append(seconds)

    def failed(self, name: str, why: str) -> None:
        self.errors[name] = self.errors.get(name, 0) + 1
        key = f"{name}: {why}"
        self.kinds[key] = self.kinds.get(key, 0) + 1


def answer(r: httpx.Response) -> str:
    """An error answer in a few words: its status and, for AI Horde's error shape, its ``rc``."""
    try:
        rc = r.json().get("rc", "")
    except ValueError:
        rc = ""
    return f"HTTP {r.status_code}" + (f" {rc}" if rc else "")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def call(
    client: httpx.AsyncClient, stats: Stats, name: str, method: str, url: str, **kw: object
) -> httpx.Response:
    while True:
        started = time.perf_counter()
        try:
            r = await client.request(method, url, **kw)  # type: ignore[arg-type]
        except httpx.TransportError as exc:
            stats.failed(name, f"dropped ({type(exc).__name__})")
            await asyncio.sleep(0.5)
            continue
        stats.timed(name, time.perf_counter() - started)
        if r.status_code < 500:
            return r
        stats.failed(name, answer(r))
        await asyncio.sleep(0.5)


async def requester(client: httpx.AsyncClient, key: str, stats: Stats, stop: float) -> None:
    while time.monotonic() < stop:
        started = time.perf_counter()
        r = await call(client, stats, "async", "POST", "/api/v2/generate/async", json=IMAGE, headers={"apikey": key})
        if r.status_code != 202:
            stats.failed("async", answer(r))
            await asyncio.sleep(1)
            continue
        request_id = r.json()["id"]
        while time.monotonic() < stop + 60:
            await asyncio.sleep(0.5)
            check = (await call(client, stats, "check", "GET", f"/api/v2/generate/check/{request_id}")).json()
            if check.get("done") or check.get("faulted"):
                break
        await call(client, stats, "status", "GET", f"/api/v2/generate/status/{request_id}")
        stats.timed("request, end to end", time.perf_counter() - started)
        stats.images += 1


async def worker(client: httpx.AsyncClient, key: str, name: str, image: str, stats: Stats, done: asyncio.Event) -> None:
    pop = {"name": name, "models": ["tiny"], "max_pixels": 4096, "bridge_agent": "soak:1:bench"}
    while not done.is_set():
        job = (
            await call(client, stats, "pop", "POST", "/api/v2/generate/pop", json=pop, headers={"apikey": key})
        ).json()
        if not job.get("id"):
            await asyncio.sleep(0.5)
            continue
        body = {"id": job["id"], "generation": image, "state": "ok", "seed": 1}
        await call(client, stats, "submit", "POST", "/api/v2/generate/submit", json=body, headers={"apikey": key})


def small_webp() -> str:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 200, 30)).save(out, format="WEBP", lossless=True)
    return base64.b64encode(out.getvalue()).decode()


async def make_accounts(settings: CoreSettings, requesters: int, workers: int) -> tuple[list[str], list[str]]:
    service = HordeService.open(settings)
    tag = uuid.uuid4().hex[:6]
    try:
        await service.users.bootstrap()
        asks = [await service.users.create_user(SYSTEM, f"soak{tag}r{i}", kudos=1e9) for i in range(requesters)]
        owners = [await service.users.create_user(SYSTEM, f"soak{tag}w{i}", role=Role.TRUSTED) for i in range(workers)]
        return [a.api_key for a in asks], [o.api_key for o in owners]
    finally:
        await service.close()


async def soak(url: str, settings: CoreSettings, args: argparse.Namespace) -> tuple[Stats, float]:
    askers, owners = await make_accounts(settings, args.requesters, args.workers)
    stats, image = Stats(), small_webp()
    limits = httpx.Limits(max_connections=args.requesters + args.workers, max_keepalive_connections=None)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        started, done = time.monotonic(), asyncio.Event()
        stop = started + args.seconds
        workers = [
            asyncio.create_task(worker(client, key, f"soak-w{i}", image, stats, done)) for i, key in enumerate(owners)
        ]
        await asyncio.gather(*(requester(client, key, stats, stop) for key in askers))  # each finishes its last one
        seconds = time.monotonic() - started
        done.set()
        await asyncio.gather(*workers)
    return stats, seconds


def report(label: str, stats: Stats, seconds: float) -> str:
    sys.stdout.write(f"\n{label}: {stats.images} images in {seconds:.0f} s, {stats.images / seconds:.1f} images/s\n")
    sys.stdout.write(f"  {'call':<22}{'n':>9}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}\n")
    for name, values in sorted(stats.latencies.items()):
        p50, p99 = percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000
        sys.stdout.write(f"  {name:<22}{len(values):>9}{p50:>10.1f}{p99:>10.1f}{stats.errors.get(name, 0):>8}\n")
    for kind, count in sorted(stats.kinds.items()):
        sys.stdout.write(f"  error {kind}: {count}\n")
    e2e = stats.latencies.get("request, end to end", [])
    errors = sum(stats.errors.values())
    return (
        f"| {label} | {stats.images / seconds:.1f} | {percentile(e2e, 0.5):.2f} | {percentile(e2e, 0.99):.2f} | "
        f"{errors} |"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


def haproxy_config(port: int, node_ports: list[int]) -> str:
    """docs/howto/scale-out.md's configuration on loopback ports."""
    config = (ROOT / "docs/howto/scale-out.md").read_text().split("```haproxy\n", 1)[1].split("```", 1)[0]
    head, _, _ = config.partition("    server node1 ")
    servers = "".join(f"    server node{i} 127.0.0.1:{p} check\n" for i, p in enumerate(node_ports))
    config = head + servers + "\nfrontend stats" + config.split("\nfrontend stats", 1)[1]
    config = config.replace("    bind :80\n", f"    bind 127.0.0.1:{port}\n").replace("maxconn 20000", "maxconn 4000")
    config = config.replace("    bind 127.0.0.1:8404\n", f"    bind 127.0.0.1:{free_port()}\n")
    return config.replace("    log /dev/log local0\n", "").replace("    log global\n", "")


@contextlib.contextmanager
def cluster(db_url: str, nodes: int, processes: int, folder: Path) -> Iterator[str]:
    """``nodes`` × ``horde serve --workers processes`` on ``db_url`` (behind HAProxy when more than one)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HORDE_", "PROMETHEUS_"))}
    env |= {"HORDE_DATABASE_URL": db_url, "HORDE_SECRET_KEY": SECRET, "HORDE_RATE_LIMITS": "off"}
    # docs/howto/scale-out.md: nodes × processes × pool × 1.25 under max_connections (100, 3 for superusers), with
    # 10 left for the soak's own accounts and psql
    env["HORDE_DATABASE_POOL_SIZE"] = str(min(50, int((100 - 3 - 10) / (nodes * processes) / 1.25)))
    ports = [free_port() for _ in range(nodes)]
    procs = []
    try:
        for i, port in enumerate(ports):
            argv = [HORDE, "serve", "--port", str(port), "--workers", str(processes)]
            node_env = env | {"HORDE_DATA_DIR": str(folder / f"node{i}")}
            with (folder / f"node{i}.log").open("wb") as log:
                procs.append(subprocess.Popen(argv, env=node_env, stdout=log, stderr=subprocess.STDOUT))  # noqa: S603
        for port in ports:
            wait_for(f"http://127.0.0.1:{port}/api/v2/status/heartbeat")
        if nodes == 1:
            yield f"http://127.0.0.1:{ports[0]}"
            return
        lb_port = free_port()
        (folder / "haproxy.cfg").write_text(haproxy_config(lb_port, ports))
        cfg = str(folder / "haproxy.cfg")
        procs.append(subprocess.Popen(["haproxy", "-db", "-f", cfg], stderr=subprocess.DEVNULL))  # noqa: S603, S607
        wait_for(f"http://127.0.0.1:{lb_port}/api/v2/status/heartbeat")
        yield f"http://127.0.0.1:{lb_port}"
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)


def server_errors(folder: Path) -> None:
    """What the nodes logged as errors: each exception's last line, with how often."""
    seen: dict[str, int] = {}
    for log in sorted(folder.glob("node*.log")):
        lines = log.read_text(errors="replace").splitlines()
        for i, line in enumerate(lines):
            if line.startswith("Traceback"):
                end = next((j for j in range(i + 1, len(lines)) if not lines[j].startswith((" ", "Traceback"))), i)
                last = lines[end][:200]
                seen[last] = seen.get(last, 0) + 1
    for last, count in sorted(seen.items(), key=lambda item: -item[1]):
        sys.stdout.write(f"  server error x{count}: {last}\n")


async def pg(admin_url: str, statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url.replace("postgresql://", "postgres://"))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


SETUPS = {"1": ("1 node", 1, 1), "2": ("2 nodes, HAProxy", 2, 1), "1x2": ("1 node, --workers 2", 1, 2)}


def scaling(args: argparse.Namespace) -> None:
    from horde.queue.store import migrate

    rows = ["| set-up | images/s | request p50 s | request p99 s | errors |", "|---|---|---|---|---|"]
    for key, (label, nodes, processes) in SETUPS.items():
        if args.setup and key not in args.setup:
            continue
        name = f"horde_soak_{uuid.uuid4().hex[:8]}"
        url = args.pg.rsplit("/", 1)[0] + "/" + name
        asyncio.run(pg(args.pg, f'CREATE DATABASE "{name}"'))
        try:
            migrate.upgrade(url)
            with tempfile.TemporaryDirectory() as folder, cluster(url, nodes, processes, Path(folder)) as base:
                settings = CoreSettings(_env_file=None, data_dir=Path(folder), database_url=url, secret_key=SECRET)
                stats, seconds = asyncio.run(soak(base, settings, args))
                rows.append(report(label, stats, seconds))
                server_errors(Path(folder))
        finally:
            asyncio.run(pg(args.pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    sys.stdout.write("\n" + "\n".join(rows) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a node or HAProxy; accounts are made in HORDE_DATABASE_URL")
    parser.add_argument("--scaling", action="store_true", help="1 node, 2 nodes behind HAProxy, 1 node --workers 2")
    parser.add_argument(
        "--setup", action="append", choices=sorted(SETUPS), help="with --scaling: only this set-up (repeatable)"
    )
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres", help="admin URL (--scaling)")
    parser.add_argument("--requesters", type=int, default=20)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    if args.scaling:
        scaling(args)
    elif args.url:
        stats, seconds = asyncio.run(soak(args.url, CoreSettings(), args))
        report(args.url, stats, seconds)
    else:
        parser.error("give --url or --scaling")


if __name__ == "__main__":
    main()
