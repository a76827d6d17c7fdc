"""Queue engine benchmark (not a test): pop/submit cycles, pop latency, empty pops at 1k and 1M waiting, queue position.

    .venv/bin/python bench/queue.py [--db sqlite|pg|both] [--waiting 100000] [--cycles 4000] [--workers 16,64]
                                    [--big 1000000]

Seeds waiting requests in bulk with INSERT … SELECT (cloning one request made through the service), then drives
everything else through the service API, exactly as the web API does.

Cycles are measured with one worker (each pop waits for the previous submit: a latency figure) and with many
workers at once, as a horde runs (the throughput figure; pops and submits that arrive together are carried out in
one batch). Each worker serves 10 of the 200 models; every 16 workers have an owner of their own.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, and this file (bench/queue.py) would shadow the
# standard library's `queue` that asyncio needs. Drop the folder before importing anything else.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
import sqlalchemy as sa

from horde.queue import clock as clock_mod
from horde.queue.domain.jobs import GenerationKind
from horde.queue.domain.roles import Role
from horde.queue.service import SYSTEM, GenerationAsk, HordeService, PopAsk, SubmitAsk
from horde.queue.settings import CoreSettings
from horde.queue.store import migrate, queue as queue_store

MODELS = 200
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def timed(fn: Callable[[], Awaitable[object]], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def seed_sql(dialect: str, count: int, offset: int) -> list[str]:
    """Clone request ``template`` ``count`` times over MODELS models (ids, ranks and models vary)."""
    if dialect == "sqlite":
        series = (
            f"WITH RECURSIVE s(x) AS (SELECT {offset + 1} UNION ALL SELECT x + 1 FROM s WHERE x < {offset + count})"
        )
        rid = "'00000000-0000-4000-8000-' || printf('%012d', x)"
        jid = "'00000000-0000-4000-9000-' || printf('%012d', x)"
        model = "'model-' || (x % 200)"
        models_json = "json_array('model-' || (x % 200))"
        src = "s, generation_requests t"
    else:
        series = ""
        rid = "'00000000-0000-4000-8000-' || lpad(x::text, 12, '0')"
        jid = "'00000000-0000-4000-9000-' || lpad(x::text, 12, '0')"
        model = "'model-' || (x % 200)"
        models_json = "json_build_array('model-' || (x % 200))"
        src = f"generate_series({offset + 1}, {offset + count}) AS x, generation_requests t"
    cols_r = (
        "kind, user_id, shared_key_id, prompt, params, n, nsfw, censor_nsfw, trusted_workers, slow_workers, worker_ids, "
        "worker_blacklist, r2, shared, source_processing, source_image_key, source_mask_key, style_id, state, priority, "
        "things, base_cost_milli, estimate_milli, upfront_milli, charged_milli, faults, kept, ip, client_agent, warnings, "
        "created_at, updated_at, expires_at"
    )

    def clone(column: str) -> str:
        return "'waiting'" if column.strip() == "state" else "t." + column.strip()

    return [
        f"{series} INSERT INTO generation_requests (id, models, rank, {cols_r}) "
        f"SELECT {rid}, {models_json}, t.rank - x, {', '.join(clone(c) for c in cols_r.split(','))} "
        f"FROM {src} WHERE t.id = 'template'",
        f"{series} INSERT INTO jobs (id, request_id, position, state, seed, attempts, reward_milli, charge_milli, favourite, public) "
        f"SELECT {jid}, {rid}, 0, 'queued', x, 0, 0, 0, false, false FROM {src} WHERE t.id = 'template'",
        f"{series} INSERT INTO queue_entries (request_id, model, kind, rank, user_id, pixels, things, queued, nsfw, trusted_only, needs, targeted) "
        f"SELECT {rid}, {model}, 'image', t.rank - x, t.user_id, 4096, t.things, 1, false, false, 0, false "
        f"FROM {src} WHERE t.id = 'template'",
    ]


async def seed(service: HordeService, requester: object, count: int, offset: int) -> None:
    async with service.ctx.db.write() as conn:
        exists = await conn.scalar(sa.text("SELECT count(*) FROM generation_requests WHERE id = 'template'"))
    if not exists:
        created = await service.requests.submit(
            requester,  # type: ignore[arg-type]
            GenerationKind.IMAGE,
            GenerationAsk("a lighthouse at dusk", params={"width": 64, "height": 64, "steps": 4}, models=("template",)),
        )
        async with service.ctx.db.write() as conn:
            await conn.execute(sa.text("DELETE FROM queue_entries WHERE request_id = :i"), {"i": created.id})
            await conn.execute(sa.text("DELETE FROM jobs WHERE request_id = :i"), {"i": created.id})
            await conn.execute(
                sa.text("UPDATE generation_requests SET id = 'template', state = 'done' WHERE id = :i"),
                {"i": created.id},
            )
    async with service.ctx.db.write() as conn:
        for statement in seed_sql(service.ctx.db.dialect, count, offset):
            await conn.execute(sa.text(statement))
    if service.ctx.db.dialect == "postgresql":  # settle the bulk load, as autovacuum would, before timing
        async with service.ctx.db.writer.connect() as raw:
            autocommit = await raw.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(sa.text("VACUUM ANALYZE"))
    elif service.ctx.db.inline_writer is not None:  # copy the bulk load's log into the database file before timing
        dbapi = service.ctx.db.inline_writer.raw_connection()  # outside any transaction
        try:
            dbapi.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            dbapi.close()


async def open_service(kind: str, folder: Path) -> tuple[HordeService, str | None]:
    if kind == "sqlite":
        url = f"sqlite:///{folder / 'bench.db'}"
        dbname = None
    else:
        dbname = f"horde_bench_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(PG_ADMIN)
        await admin.execute(f'CREATE DATABASE "{dbname}"')
        await admin.close()
        url = f"postgresql://postgres@127.0.0.1:5432/{dbname}"
    await asyncio.to_thread(migrate.upgrade, url)
    settings = CoreSettings(
        _env_file=None, data_dir=folder, database_url=url, secret_key="bench", default_concurrency=1000
    )  # type: ignore[call-arg]
    service = HordeService.open(settings, clock=clock_mod.now)
    await service.users.bootstrap()
    return service, dbname


async def drop(dbname: str | None) -> None:
    if dbname:
        admin = await asyncpg.connect(PG_ADMIN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        await admin.close()


async def run(kind: str, waiting: int, cycles: int, big: int, workers: list[int]) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix=f"horde-bench-{kind}-"))
    service, dbname = await open_service(kind, folder)
    figures: dict[str, float] = {}
    try:
        requester = await service.users.authenticate(
            (await service.users.create_user(SYSTEM, "req", kudos=1e6)).api_key
        )
        owner = await service.users.authenticate(
            (await service.users.create_user(SYSTEM, "own", role=Role.TRUSTED)).api_key
        )
        start = time.perf_counter()
        await seed(service, requester, 1000, 0)
        idle = PopAsk(name="idle", models=("nobody",))
        await service.workers.pop(owner, idle)
        figures["empty_pop_1k_p50_ms"] = statistics.median(await timed(lambda: service.workers.pop(owner, idle), 300))
        await seed(service, requester, waiting - 1000, 1000)
        print(f"[{kind}] seeded {waiting:,} waiting requests in {time.perf_counter() - start:.1f}s", flush=True)

        image = b"RIFF\x00\x00\x00\x00WEBPVP8 "
        pops: list[float] = []
        owners = [owner]

        def worker_ask(i: int) -> PopAsk:  # each worker serves 10 models, spread over the 200
            return PopAsk(name=f"busy-{i}", models=tuple(f"model-{m}" for m in range(i % 20, MODELS, 20)))

        async def cycle(i: int) -> None:
            t0 = time.perf_counter()
            job = await service.workers.pop(owners[i // 16], worker_ask(i))
            pops.append((time.perf_counter() - t0) * 1000)
            await service.workers.submit(owners[i // 16], SubmitAsk(job.ids[0], image=image))

        await cycle(0)
        t0 = time.perf_counter()
        for _ in range(cycles // 4):
            await cycle(0)
        figures["cycles_per_s_1_worker"] = cycles // 4 / (time.perf_counter() - t0)
        figures["pop_p50_ms_1_worker"] = percentile(pops, 0.5)
        figures["pop_p99_ms_1_worker"] = percentile(pops, 0.99)

        # a horde has many workers popping at once: each of them loops pop → submit
        for count in workers:
            while len(owners) * 16 < count:  # a user may run at most 20 workers
                actor = (await service.users.create_user(SYSTEM, f"own{len(owners)}", role=Role.TRUSTED)).api_key
                owners.append(await service.users.authenticate(actor))
            pops.clear()
            share = max(1, cycles // count)

            async def loop(i: int, n: int) -> None:
                for _ in range(n):
                    await cycle(i)

            await asyncio.gather(*(loop(i, 2) for i in range(count)))  # check in, warm up
            pops.clear()
            t0 = time.perf_counter()
            await asyncio.gather(*(loop(i, share) for i in range(count)))
            figures[f"cycles_per_s_{count}_workers"] = share * count / (time.perf_counter() - t0)
            figures[f"pop_p50_ms_{count}_workers"] = percentile(pops, 0.5)
            figures[f"pop_p99_ms_{count}_workers"] = percentile(pops, 0.99)

        async with service.ctx.db.read() as conn:
            sample = (
                (await conn.execute(sa.text("SELECT request_id FROM queue_entries ORDER BY request_id LIMIT 200")))
                .scalars()
                .all()
            )

        async def position() -> None:
            async with service.ctx.db.read() as conn:
                await queue_store.position(conn, sample[int(time.perf_counter() * 1e6) % len(sample)])

        figures["queue_position_p50_ms"] = statistics.median(await timed(position, 300))
        figures["status_p50_ms"] = statistics.median(
            await timed(lambda: service.requests.status(None, sample[0], with_generations=False), 300)
        )
        if big:
            start = time.perf_counter()
            await seed(service, requester, big - waiting, 10_000_000)
            print(f"[{kind}] grew the queue to {big:,} in {time.perf_counter() - start:.1f}s", flush=True)
            figures["empty_pop_1M_p50_ms"] = statistics.median(
                await timed(lambda: service.workers.pop(owner, idle), 300)
            )
    finally:
        await service.close()
        await drop(dbname)
    return figures


def run_loop(coro: Awaitable[dict[str, float]]) -> dict[str, float]:
    """On uvloop when it is installed, as the server runs (uvicorn picks it up)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)  # type: ignore[arg-type]
    return uvloop.run(coro)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "pg", "both"], default="both")
    parser.add_argument("--waiting", type=int, default=100_000)
    parser.add_argument("--cycles", type=int, default=4000, help="cycles per many-worker figure (a quarter for one)")
    parser.add_argument(
        "--workers", default="16,64", help="comma-separated numbers of workers popping at once, one figure each"
    )
    parser.add_argument(
        "--big", type=int, default=1_000_000, help="queue size for the second empty-pop figure (0: skip)"
    )
    args = parser.parse_args()
    kinds = ["sqlite", "pg"] if args.db == "both" else [args.db]
    workers = [int(n) for n in args.workers.split(",") if n.strip()]
    results = {kind: run_loop(run(kind, args.waiting, args.cycles, args.big, workers)) for kind in kinds}
    names = sorted({name for figures in results.values() for name in figures})
    print(f"\n{'figure':<26}" + "".join(f"{k:>12}" for k in kinds))
    for name in names:
        print(f"{name:<26}" + "".join(f"{results[k].get(name, float('nan')):>12.2f}" for k in kinds))
    for kind in kinds:
        f = results[kind]
        if "empty_pop_1M_p50_ms" in f:
            print(f"[{kind}] empty pop at 1M / at 1k: {f['empty_pop_1M_p50_ms'] / f['empty_pop_1k_p50_ms']:.2f}x")


if __name__ == "__main__":
    main()
