"""A simulated horde (not a test): is the kudos economy fair? Issue 16.

    .venv/bin/python bench/economy.py [--hours 2] [--seed 1] [--plot docs/explanation/kudos-economy.png]

Drives the real engine (``HordeService`` on a temporary SQLite database, a ``FrozenClock`` moved in 5-second
ticks, the service API exactly as the web API calls it, no HTTP) through two simulated hours (about three minutes on two cores):

- contributors: workers of various speeds (0.4 to 2 megapixel-steps a second), half of them owned by trusted
  veterans, half by newcomers whose earnings trust escrow holds; each owner also asks for images now and then;
- regular users, who start with 300 kudos and spend what they have;
- anonymous users, on four addresses;
- leeches: registered accounts with nothing, which keep their concurrency limit full once the horde is busy;
- adversaries: ten accounts from one address, a worker that returns garbage, a worker that returns blank images at
  once, a ring of transfers, a rating spammer, a requester who cancels to dodge costs, and a worker that pops and
  never submits. Once paused, a worker gets decoys (copies of real jobs that pay nothing); it goes on as before.

The first half hour is quiet (everyone asks now and then: low load); after it the leeches flood (saturation). It prints
each group's median and p95 wait in both phases, kudos per group over time, what each adversary gained against an
honest worker of the same real work, and whether the ledger still equals the balances; it draws the waits and
kudos over time into a PNG.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/queue.py would shadow the standard library's `queue` that asyncio needs (see bench/queue.py)
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import asyncio
import contextlib
import dataclasses
import io
import logging
import random
import statistics
import tempfile
import time
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from PIL import Image

from horde.queue import clock as clock_mod, dto, errors
from horde.queue.domain.jobs import GenerationKind
from horde.queue.domain.roles import Role
from horde.queue.service import SYSTEM, GenerationAsk, HordeService, PopAsk, Rating, SubmitAsk
from horde.queue.settings import CoreSettings
from horde.queue.store import migrate, tables

TICK = 5.0  #: simulated seconds per step
QUIET = 1800.0  #: the first half hour is quiet; the leeches flood after it
PARAMS = {"width": 512, "height": 512, "steps": 30}
MPS = 512 * 512 * 30 / 1_000_000  #: megapixel-steps of one image
MODEL = ("stable_diffusion",)
GROUPS = ("contributor", "regular", "anonymous", "leech")


def _image() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (512, 512), (30, 120, 200)).save(buf, "WEBP")
    return buf.getvalue()


IMAGE = _image()


@dataclasses.dataclass
class Worker:
    owner: dto.Actor
    name: str
    speed: float  #: megapixel-steps per second; 0 for workers that do no real work
    how: str = "honest"  #: honest, garbage, blank (a right-sized blank image at once), hoard (never submits)
    jobs: list[tuple[str, str | None, float]] = dataclasses.field(default_factory=list)  #: (job, request, due)
    done: int = 0
    decoys: int = 0  #: decoys handed to it once paused (the simulation can tell; the worker cannot)
    real_seconds: float = 0.0  #: simulated seconds of real generation

    def due(self, now: float) -> list[tuple[str, str | None, float]]:
        ready = [j for j in self.jobs if j[2] <= now]
        self.jobs = [j for j in self.jobs if j[2] > now]
        return ready


@dataclasses.dataclass
class Client:
    actor: dto.Actor
    group: str
    every: float  #: seconds between requests when quiet
    label: str
    flood: bool = False  #: keeps its concurrency full once the horde is busy
    next_at: float = 0.0
    waiting: int = 0
    n: int = 1
    images: int = 0


@dataclasses.dataclass
class Sim:
    service: HordeService
    clock: clock_mod.FrozenClock
    rng: random.Random
    start: float
    workers: list[Worker] = dataclasses.field(default_factory=list)
    clients: list[Client] = dataclasses.field(default_factory=list)
    open: dict[str, tuple[Client, float]] = dataclasses.field(default_factory=dict)
    waits: dict[tuple[str, str], list[float]] = dataclasses.field(default_factory=lambda: defaultdict(list))
    wait_points: list[tuple[str, float, float]] = dataclasses.field(default_factory=list)
    kudos_points: dict[str, list[tuple[float, float]]] = dataclasses.field(default_factory=lambda: defaultdict(list))
    owners: dict[str, list[dto.Actor]] = dataclasses.field(default_factory=lambda: defaultdict(list))
    refusals: dict[str, int] = dataclasses.field(default_factory=lambda: defaultdict(int))
    spent_kudos: dict[str, float] = dataclasses.field(default_factory=lambda: defaultdict(float))

    @property
    def now(self) -> float:
        return (self.clock() - clock_mod.FrozenClock().current).total_seconds() - self.start


async def user(
    sim: Sim, name: str, group: str, *, kudos: float = 0.0, trusted: bool = False, ip: str = ""
) -> dto.Actor:
    created = await sim.service.users.create_user(SYSTEM, name, kudos=kudos, role=Role.TRUSTED if trusted else None)
    actor = await sim.service.users.authenticate(
        created.api_key, ip=ip or f"10.1.{sum(map(len, sim.owners.values()))}.1"
    )  # one address each
    sim.owners[group].append(actor)
    return actor


async def cast(sim: Sim) -> dict[str, Any]:
    """Everybody in the simulated horde; returns the adversaries by name."""
    for i, speed in enumerate((0.4, 0.8, 1.2, 1.6, 2.0, 0.6, 1.0, 1.4)):
        owner = await user(sim, f"contrib{i}", "contributor", trusted=i < 4)
        sim.workers.append(Worker(owner, f"contrib{i}-w", speed))
        sim.clients.append(Client(owner, "contributor", 240, f"contrib{i}"))
    for i in range(8):
        sim.clients.append(Client(await user(sim, f"regular{i}", "regular", kudos=300), "regular", 240, f"regular{i}"))
    for i in range(4):
        anon = sim.service.users.anonymous(ip=f"192.0.2.{i + 1}")
        sim.clients.append(Client(anon, "anonymous", 240, f"anon{i}"))
    for i in range(6):
        sim.clients.append(Client(await user(sim, f"leech{i}", "leech"), "leech", 240, f"leech{i}", flood=True))
    adv: dict[str, Any] = {}
    sybils = []
    for i in range(10):
        made = await sim.service.users.register(sim.service.users.anonymous(ip="198.51.100.7"), f"sybil{i}")
        sybils.append(await sim.service.users.authenticate(made.api_key, ip="198.51.100.7"))
        sim.clients.append(Client(sybils[-1], "sybil", 240, f"sybil{i}", flood=True))
    adv["sybils"] = sybils
    for how, speed in (("garbage", 0.0), ("blank", 0.0), ("hoard", 0.0)):
        owner = await user(sim, f"adv-{how}", "adversary")
        sim.workers.append(Worker(owner, f"adv-{how}-w", speed, how))
        adv[how] = owner
    adv["ring"] = [await user(sim, f"ring{i}", "adversary", kudos=300) for i in range(3)]
    adv["rater"] = await user(sim, "rater", "adversary", kudos=300)
    sim.clients.append(Client(adv["rater"], "rater", 120, "rater"))
    adv["canceller"] = await user(sim, "canceller", "adversary", kudos=300)
    sim.clients.append(Client(adv["canceller"], "canceller", 120, "canceller", n=4))
    sim.clients.append(Client(await user(sim, "honest-spender", "regular", kudos=300), "regular", 120, "spender", n=4))
    return adv


async def ask(sim: Sim, c: Client) -> None:
    shared = c.group == "rater"
    try:
        made = await sim.service.requests.submit(
            c.actor,
            GenerationKind.IMAGE,
            GenerationAsk("a lighthouse", params=PARAMS | {"n": c.n}, models=MODEL, shared=shared),
        )
    except errors.HordeError as exc:
        sim.refusals[f"{c.group}:{type(exc).__name__}"] += 1
        return
    sim.open[made.id] = (c, sim.now)
    c.waiting += 1


async def requesters(sim: Sim) -> None:
    busy = sim.now >= QUIET
    for c in sim.clients:
        if c.flood and busy:
            while c.waiting < 30:  # as fast as the limits allow: each step tops up until refused
                before = c.waiting
                await ask(sim, c)
                if c.waiting == before:
                    break
        elif sim.now >= c.next_at:
            c.next_at = sim.now + sim.rng.expovariate(1 / c.every)
            await ask(sim, c)


async def finish(sim: Sim, request_id: str | None) -> None:
    if request_id is None or request_id not in sim.open:
        return
    c, asked = sim.open[request_id]
    status = await sim.service.requests.status(None, request_id)
    if c.group == "canceller" and not status.done:
        await sim.service.requests.cancel(c.actor, request_id)
        status = await sim.service.requests.status(None, request_id)
    if not (status.done or status.cancelled or status.faulted):
        return
    c.images += status.finished
    del sim.open[request_id]
    c.waiting -= 1
    wait = sim.now - asked
    sim.waits[(c.group, "quiet" if asked < QUIET else "busy")].append(wait)
    sim.wait_points.append((c.group, asked, wait))
    if c.group == "rater" and status.generations:
        with contextlib.suppress(errors.HordeError):
            job = status.generations[0].id
            await sim.service.ratings.rate(c.actor, request_id, ratings=(Rating(job, 10, artifacts=0),))


async def hand_in(sim: Sim, w: Worker) -> None:
    for job_id, request_id, _ in w.due(sim.now):
        image = b"RIFF....WEBPVP8 garbage" if w.how == "garbage" else IMAGE
        try:
            await sim.service.workers.submit(w.owner, SubmitAsk(job_id, image=image))
            w.done += 1
        except errors.HordeError as exc:
            sim.refusals[f"{w.how}:{type(exc).__name__}"] += 1
        await finish(sim, request_id)


async def work(sim: Sim, w: Worker) -> None:
    await hand_in(sim, w)
    if w.jobs and w.how != "hoard":
        return
    try:
        job = await sim.service.workers.pop(w.owner, PopAsk(name=w.name, models=MODEL))
    except errors.HordeError as exc:
        sim.refusals[f"{w.how}:{type(exc).__name__}"] += 1
        return
    if not job.found:
        return
    w.decoys += job.request_id is None  # a decoy: paused, it gets copies of real jobs that touch nothing
    if w.how == "hoard":
        w.jobs.append((job.ids[0], job.request_id, float("inf")))
        return
    seconds = MPS / w.speed if w.speed else 0.0
    w.real_seconds += seconds
    w.jobs.append((job.ids[0], job.request_id, sim.now + seconds))
    if w.how == "blank":  # hands the image back at once, in the same breath as the pop
        await hand_in(sim, w)


async def ring(sim: Sim, members: list[dto.Actor]) -> None:
    """Each passes everything it can spare to the next one."""
    for i, sender in enumerate(members):
        target = members[(i + 1) % len(members)]
        me = await sim.service.users.me(sender)
        with contextlib.suppress(errors.HordeError):
            await sim.service.kudos.transfer(sender, target.display_name, max(0.001, me.kudos - 25))


async def balance(sim: Sim, actor: dto.Actor) -> float:
    if actor.is_anonymous:
        return -50.0
    return (await sim.service.users.me(actor)).kudos


async def held(sim: Sim, actor: dto.Actor) -> float:
    async with sim.service.ctx.db.read() as conn:
        value = await conn.scalar(
            sa.select(tables.trust_escrow.c.held_milli).where(tables.trust_escrow.c.user_id == actor.user_id)
        )
    return int(value or 0) / 1000


async def snapshot(sim: Sim) -> None:
    for group in ("contributor", "regular", "leech", "sybil"):
        actors = sim.owners[group] if group != "sybil" else [c.actor for c in sim.clients if c.group == "sybil"]
        values = [await balance(sim, a) for a in actors]
        sim.kudos_points[group].append((sim.now, statistics.mean(values)))
    escrows = [await held(sim, a) for a in sim.owners["contributor"]]
    sim.kudos_points["contrib.escrow"].append((sim.now, statistics.mean(escrows)))


async def conserved(sim: Sim) -> tuple[bool, int, int]:
    """Whether every balance equals its ledger, and escrow its holds; (ok, balances, ledger) in thousandths."""
    async with sim.service.ctx.db.read() as conn:
        sums = dict((await conn.execute(sa.select(tables.kudos_ledger.c.user_id, sa.func.sum(tables.kudos_ledger.c.amount_milli)).group_by(tables.kudos_ledger.c.user_id))).all())  # fmt: skip
        users = dict((await conn.execute(sa.select(tables.users.c.id, tables.users.c.kudos_milli))).all())
        holds = dict((await conn.execute(sa.select(tables.kudos_ledger.c.user_id, sa.func.sum(tables.kudos_ledger.c.amount_milli)).where(tables.kudos_ledger.c.kind.in_(("escrow_hold", "escrow_release"))).group_by(tables.kudos_ledger.c.user_id))).all())  # fmt: skip
        escrow = dict(
            (await conn.execute(sa.select(tables.trust_escrow.c.user_id, tables.trust_escrow.c.held_milli))).all()
        )
    ok = all(int(sums.get(uid, 0)) == milli for uid, milli in users.items())
    ok = ok and all(int(escrow.get(uid, 0)) == -int(total) for uid, total in holds.items())
    return ok, sum(users.values()), int(sum(sums.values()))


async def run(hours: float, seed: int, folder: Path, ageing: float | None) -> tuple[Sim, dict[str, Any]]:
    url = f"sqlite:///{folder / 'horde.db'}"
    await asyncio.to_thread(migrate.upgrade, url)  # alembic runs its own event loop
    settings = CoreSettings(
        _env_file=None,
        data_dir=folder,
        database_url=url,
        secret_key="sim",
        queue_position_cache_seconds=5,
        **({"ageing_per_second": ageing} if ageing is not None else {}),
    )
    clock = clock_mod.FrozenClock()
    service = HordeService.open(settings, clock=clock)
    await service.users.bootstrap()
    sim = Sim(service, clock, random.Random(seed), 0.0)
    adv = await cast(sim)
    for actors in sim.owners.values():
        for actor in actors:
            START[actor.user_id] = await balance(sim, actor)
    for sybil in adv["sybils"]:
        START[sybil.user_id] = await balance(sim, sybil)
    step = 0
    while sim.now < hours * 3600:
        await requesters(sim)
        for w in sim.workers:
            await work(sim, w)
        if step % 6 == 0:
            await service.sweeps.run_once()
            for request_id in [r for r, (_, t) in sim.open.items() if sim.now - t > 400][:10]:
                await finish(sim, request_id)  # faulted by the sweep (the hoarder's jobs, out of attempts)?
        if step % 12 == 0:
            await ring(sim, adv["ring"])
        if step % 60 == 0:
            await snapshot(sim)
        clock.advance(TICK)
        step += 1
    await snapshot(sim)
    return sim, adv


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def print_waits(sim: Sim) -> dict[tuple[str, str], float]:
    print("\nwait for a request's images (simulated seconds): median / p95 (count)")
    print(f"{'group':<12}{'low load (first 30 min)':>26}{'saturation (after it)':>26}")
    medians = {}
    for group in (*GROUPS, "sybil", "rater", "canceller"):
        cells = []
        for phase in ("quiet", "busy"):
            values = sim.waits.get((group, phase), [])
            medians[(group, phase)] = statistics.median(values) if values else float("nan")
            cells.append(f"{medians[(group, phase)]:7.0f} / {pct(values, 0.95):5.0f} ({len(values):4d})")
        print(f"{group:<12}{cells[0]:>26}{cells[1]:>26}")
    return medians


def print_kudos(sim: Sim) -> None:
    print("\nmean kudos per account over time (simulated hours)")
    times = [t for t, _ in sim.kudos_points["contributor"]]
    marks = [i for i, t in enumerate(times) if t % 1800 < TICK * 60 or i == len(times) - 1]
    print(f"{'group':<12}" + "".join(f"{times[i] / 3600:>9.1f}h" for i in marks))
    for group, points in sim.kudos_points.items():
        print(f"{group:<12}" + "".join(f"{points[i][1]:>10.0f}" for i in marks))


async def gains(sim: Sim, adv: dict[str, Any], start: dict[int, float]) -> list[tuple[str, float, float, str]]:
    """(strategy, spendable kudos gained, kudos gained into escrow, note)."""
    out = []

    async def gained(actors: list[dto.Actor]) -> tuple[float, float]:
        spendable = sum([await balance(sim, a) - start[a.user_id] for a in actors])
        return spendable, sum([await held(sim, a) for a in actors])

    by_name = {c.label: c for c in sim.clients}
    sybil_images = sum(by_name[f"sybil{i}"].images for i in range(10))
    out.append(("ten accounts from one IP", *await gained(adv["sybils"]), f"{sybil_images} images, all free (each sits on its floor)"))  # fmt: skip
    for how, what in (("garbage", "submits garbage at once"), ("blank", "submits blank images at once"), ("hoard", "pops, never submits")):  # fmt: skip
        w = next(x for x in sim.workers if x.how == how)
        async with sim.service.ctx.db.read() as conn:
            paused = await conn.scalar(sa.select(tables.workers.c.paused).where(tables.workers.c.name == w.name))
        note = f"{w.done} submits taken, paused={bool(paused)}, then {w.decoys} decoys handed to it"
        out.append((f"worker that {what}", *await gained([w.owner]), note))
    out.append(("transfer ring of three", *await gained(adv["ring"]), "nothing requested"))
    for label in ("rater", "canceller", "spender"):
        c = by_name[label]
        spent = start[c.actor.user_id] - await balance(sim, c.actor)
        note = f"{c.images} images for {spent:.0f} kudos ({spent / max(c.images, 1):.2f} per image)"
        out.append((f"{label}{' (honest baseline)' if label == 'spender' else ''}", *await gained([c.actor]), note))
    return out


def honest_rate(sim: Sim, start: dict[int, float], finals: dict[int, float]) -> float:
    """Kudos an honest worker's owner earned per simulated second of real generation (job rewards and uptime)."""
    rates = [(finals[w.owner.user_id] - start[w.owner.user_id]) / w.real_seconds for w in sim.workers if w.how == "honest" and w.real_seconds]  # fmt: skip
    return statistics.median(rates)


def plot(sim: Sim, path: Path, hours: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7), sharex=True)
    colours = {"contributor": "tab:green", "regular": "tab:blue", "anonymous": "tab:gray", "leech": "tab:red", "sybil": "tab:purple"}  # fmt: skip
    for group, colour in colours.items():
        points = sorted((t, w) for g, t, w in sim.wait_points if g == group)
        buckets: dict[int, list[float]] = defaultdict(list)
        for t, w in points:
            buckets[int(t // 600)].append(w)
        xs = [(b * 600 + 300) / 3600 for b in sorted(buckets)]
        top.plot(xs, [statistics.median(buckets[b]) for b in sorted(buckets)], label=group, color=colour, marker=".")
    top.axvline(QUIET / 3600, color="black", linestyle=":", linewidth=1)
    top.set_ylabel("median wait (s), per 10 min asked")
    top.set_yscale("log")
    top.legend(loc="upper left", fontsize=8)
    top.set_title("A simulated horde: leeches flood after the first half hour (dotted line)")
    for group, points in sim.kudos_points.items():
        escrow = group == "contrib.escrow"
        colour = colours["contributor"] if escrow else colours.get(group)
        xs, ys = [t / 3600 for t, _ in points], [k for _, k in points]
        bottom.plot(xs, ys, label=group, color=colour, linestyle="--" if escrow else "-")
    bottom.set_ylabel("mean kudos per account")
    bottom.set_xlabel("simulated hours")
    bottom.set_xlim(0, hours)
    bottom.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--ageing", type=float, default=None, help="HORDE_AGEING_PER_SECOND to try (default: the engine's)"
    )
    parser.add_argument("--plot", type=Path, default=Path("docs/explanation/kudos-economy.png"))
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # suspicion and pauses are counted below, not logged line by line
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="horde-economy-") as folder:
        sim, adv = await run(args.hours, args.seed, Path(folder), args.ageing)
        print(f"simulated {args.hours:g} h in {time.perf_counter() - began:.0f} s")
        medians = print_waits(sim)
        print_kudos(sim)
        await report(sim, adv, medians)
        await sim.service.close()
    plot(sim, args.plot, args.hours)
    print(f"\nplot: {args.plot}")


START: dict[int, float] = {}


async def report(sim: Sim, adv: dict[str, Any], medians: dict[tuple[str, str], float]) -> None:
    finals = {a.user_id: await balance(sim, a) + await held(sim, a) for g in sim.owners.values() for a in g}
    rate = honest_rate(sim, START, finals)
    print(f"\nan honest worker's owner earns {rate:.2f} kudos (spendable and escrow) per second of real generation")
    print("every adversary below does no real work: an honest worker doing as much earns 0 spendable kudos")
    print(f"{'strategy':<38}{'spendable':>10}{'escrow':>9}  note")
    for name, spendable, escrow, note in await gains(sim, adv, START):
        print(f"{name:<38}{spendable:>+10.1f}{escrow:>9.1f}  {note}")
    ok, balances, ledger = await conserved(sim)
    print(f"\nkudos conserved: {ok} (balances {balances / 1000:.3f}, ledger {ledger / 1000:.3f})")
    print("refused or failed calls:", dict(sorted(sim.refusals.items())))
    c, le = medians[("contributor", "busy")], medians[("leech", "busy")]
    r, a = medians[("regular", "busy")], medians[("anonymous", "busy")]
    print(f"\nmust show: contributors' median at saturation ≤ leeches'/5: {c:.0f} ≤ {le / 5:.0f}: {c <= le / 5}")
    print(f"           regular users in between: {c:.0f} ≤ {r:.0f} ≤ {le:.0f}: {c <= r <= le}")
    served = len(sim.waits.get(("anonymous", "busy"), []))
    print(f"           anonymous served at saturation: {served} requests, median {a:.0f} s")


if __name__ == "__main__":
    asyncio.run(main())
