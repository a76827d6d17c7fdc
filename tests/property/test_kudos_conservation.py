"""Kudos is conserved over random sequences of requests, pops, submits, timeouts, cancels, transfers, pauses (a
paused worker gets decoys) and monthly kudos.

After every step: each balance equals the sum of its ledger entries and never sits below its floor; each trust
escrow equals minus the sum of its holds and releases; every transfer's halves cancel out; every finished job was
paid exactly once and charged exactly once, for the amounts it records; and the queue index holds exactly the
queued jobs of waiting requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, event, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from horde.queue import clock, errors
from horde.queue.domain import kudos as kudos_rules
from horde.queue.domain.jobs import GenerationKind, ResultState
from horde.queue.domain.roles import AccountKind, Role
from horde.queue.service import SYSTEM, GenerationAsk, HordeService, PopAsk, SubmitAsk
from horde.queue.settings import CoreSettings
from horde.queue.store import economy_tables, migrate, tables
from tests.factories import webp_bytes

RESULT = webp_bytes(512)  #: what an honest worker sends for a 512×512 request

_TEMPLATE: Path | None = None


def template_db() -> Path:
    global _TEMPLATE
    if _TEMPLATE is None:
        folder = Path(tempfile.mkdtemp(prefix="horde-tpl-"))
        migrate.upgrade(f"sqlite:///{folder / 'horde.db'}")
        _TEMPLATE = folder / "horde.db"
    return _TEMPLATE


class KudosMachine(RuleBasedStateMachine):
    @initialize()
    def open(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="horde-prop-"))
        shutil.copy(template_db(), self.folder / "horde.db")
        self.loop = asyncio.new_event_loop()
        self.clock = clock.FrozenClock()
        config = CoreSettings(
            _env_file=None, data_dir=self.folder, database_url=f"sqlite:///{self.folder / 'horde.db'}", secret_key="s"
        )
        self.service = HordeService.open(config, clock=self.clock)
        self.run(self.service.users.bootstrap())
        self.users = [self.run(self._user(f"u{i}", kudos)) for i, kudos in enumerate((0, 50, 500))]
        self.users.append(self.service.users.anonymous(ip="10.0.0.1"))
        boss = self.run(self.service.users.create_user(SYSTEM, "boss", role=Role.ADMIN))
        self.boss = self.run(self.service.users.authenticate(boss.api_key))
        self.held: list[tuple[Any, str]] = []  # (owner actor, job id)
        self.requests: list[str] = []

    async def _user(self, name: str, kudos: float) -> Any:
        # u1 is untrusted: the half of its workers' rewards that trust escrow holds must stay accounted for
        role = None if name == "u1" else Role.TRUSTED
        created = await self.service.users.create_user(SYSTEM, name, kudos=kudos, role=role)
        return await self.service.users.authenticate(created.api_key)

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        if hasattr(self, "service"):
            self.run(self.service.close())
            self.loop.close()
            shutil.rmtree(self.folder, ignore_errors=True)

    @rule(who=st.integers(0, 3), n=st.integers(1, 3), text=st.booleans(), steps=st.sampled_from([4, 30, 80]))
    def ask(self, who: int, n: int, text: bool, steps: int) -> None:
        kind = GenerationKind.TEXT if text else GenerationKind.IMAGE
        params: dict[str, Any] = (
            {"n": n, "max_length": 64} if text else {"n": n, "steps": steps, "width": 512, "height": 512}
        )
        try:
            created = self.run(
                self.service.requests.submit(
                    self.users[who], kind, GenerationAsk("a cat", params=params, models=("m",))
                )
            )
        except (errors.KudosUpfrontError, errors.TooManyPromptsError) as exc:
            event(f"ask refused: {exc.rc}")
            return
        self.requests.append(created.id)

    @rule(who=st.integers(0, 2), text=st.booleans(), amount=st.integers(1, 3))
    def pop(self, who: int, text: bool, amount: int) -> None:
        kind = GenerationKind.TEXT if text else GenerationKind.IMAGE
        popped = self.run(
            self.service.workers.pop(
                self.users[who], PopAsk(name=f"w{who}{kind.value}", kind=kind, models=("m",), amount=amount)
            )
        )
        event(f"pop found {len(popped.ids)}")
        self.held += [(self.users[who], job_id) for job_id in popped.ids]

    @rule(data=st.data(), state=st.sampled_from([ResultState.OK, ResultState.CENSORED, ResultState.FAULTED]))
    def submit(self, data: st.DataObject, state: ResultState) -> None:
        if not self.held:
            return
        owner, job_id = self.held.pop(data.draw(st.integers(0, len(self.held) - 1)))
        image = data.draw(st.sampled_from([RESULT, b"RIFF....WEBP"]))  # a real 512×512 image, or garbage
        ask = SubmitAsk(job_id, state=state, image=image, text="some words")
        try:
            self.run(self.service.workers.submit(owner, ask))
            event(f"submitted {state.value}")
        except errors.ValidationError:
            event("garbage faulted, nothing paid")
        except errors.AbortedGenError:
            event("late submit aborted")
        except errors.InvalidJobIdError:
            event(
                "the request expired and took the job with it"
            )  # it timed out and went back to the queue (or on to another worker)

    @rule(data=st.data())
    def resubmit_finished(self, data: st.DataObject) -> None:
        """A worker that retries a submit it already made gets the same reward and no second payment."""
        rows = self.run(self._done_jobs())
        if not rows:
            return
        job_id, owner_id, reward = rows[data.draw(st.integers(0, len(rows) - 1))]
        owner = next(u for u in self.users if u.user_id == owner_id)
        result = self.run(self.service.workers.submit(owner, SubmitAsk(job_id, image=b"x")))
        assert result.duplicate
        assert kudos_rules.to_milli(result.reward) == reward

    async def _done_jobs(self) -> list[tuple[str, int, int]]:
        async with self.service.ctx.db.read() as conn:
            query = (
                sa.select(tables.jobs.c.id, tables.workers.c.owner_id, tables.jobs.c.reward_milli)
                .join(tables.workers, tables.workers.c.id == tables.jobs.c.worker_id)
                .where(tables.jobs.c.state == "done")
            )
            return [tuple(row) for row in (await conn.execute(query)).all()]

    @rule(who=st.integers(0, 2), text=st.booleans(), paused=st.booleans())
    def pause(self, who: int, text: bool, paused: bool) -> None:
        """A moderator pauses or unpauses a worker: paused, it gets decoys, which must move no kudos and no job."""
        kind = GenerationKind.TEXT if text else GenerationKind.IMAGE
        names = {w.name: w.id for w in self.run(self.service.workers.listing(self.boss))}
        if f"w{who}{kind.value}" in names:
            self.run(self.service.worker_moderation.pause(self.boss, names[f"w{who}{kind.value}"], paused=paused))
            event(f"worker {'paused' if paused else 'unpaused'}")

    @rule(who=st.integers(0, 2), amount=st.sampled_from([0, 7, 300]))
    def set_monthly(self, who: int, amount: int) -> None:
        """An admin sets monthly kudos; the sweep pays them (as ``recurring``)."""
        self.run(self.service.users.modify(self.boss, self.users[who].user_id, monthly_kudos=amount))

    @rule(seconds=st.sampled_from([10, 200, 2000]))
    def time_passes(self, seconds: int) -> None:
        self.clock.advance(seconds)
        self.run(self.service.sweeps.run_once())

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        if not self.requests:
            return
        request_id = self.requests[data.draw(st.integers(0, len(self.requests) - 1))]
        status = None
        try:
            status = self.run(self.service.requests.status(None, request_id))
        except errors.RequestNotFoundError:
            return  # expired
        owner = next(u for u in self.users if u.user_id == status.user_id)
        self.run(self.service.requests.cancel(owner, request_id))

    @rule(sender=st.integers(0, 2), receiver=st.integers(0, 2), amount=st.sampled_from([0.5, 5, 100]))
    def transfer(self, sender: int, receiver: int, amount: float) -> None:
        target = self.users[receiver].display_name
        with contextlib.suppress(
            errors.KudosTransferToSelfError, errors.KudosTransferNotEnoughError, errors.TooFastKudosTransfersError
        ):
            self.run(self.service.kudos.transfer(self.users[sender], target, amount))

    @invariant()
    def ledger_is_consistent(self) -> None:
        if not hasattr(self, "service"):
            return
        self.run(self._check())

    async def _check(self) -> None:
        async with self.service.ctx.db.read() as conn:
            ledger = (await conn.execute(sa.select(tables.kudos_ledger))).all()
            users = (await conn.execute(sa.select(tables.users))).all()
            jobs = (await conn.execute(sa.select(tables.jobs))).all()
            entries = (await conn.execute(sa.select(tables.queue_entries))).all()
            reqs = {r.id: r for r in (await conn.execute(sa.select(tables.generation_requests))).all()}
            held_rows = await conn.execute(sa.select(tables.trust_escrow.c.user_id, tables.trust_escrow.c.held_milli))
            escrow: dict[int, int] = {int(uid): int(milli) for uid, milli in held_rows.all()}
            monthly = economy_tables.monthly_kudos
            paid_rows = await conn.execute(sa.select(monthly.c.user_id, monthly.c.received_milli))
            received: dict[int, int] = {int(uid): int(milli) for uid, milli in paid_rows.all()}
        sums: Counter[int] = Counter()
        for entry in ledger:
            sums[entry.user_id] += entry.amount_milli
        for user in users:
            assert user.kudos_milli == sums[user.id], user.username
            assert user.kudos_milli >= kudos_rules.to_milli(kudos_rules.floor_for(AccountKind(user.kind)))
        held: Counter[int] = Counter()
        for entry in ledger:
            if entry.kind in ("escrow_hold", "escrow_release"):
                held[entry.user_id] -= entry.amount_milli
        assert {uid: milli for uid, milli in escrow.items() if milli} == {u: m for u, m in held.items() if m}
        assert all(milli >= 0 for milli in escrow.values())
        recurring: Counter[int] = Counter()
        for entry in ledger:
            if entry.kind == "recurring":
                recurring[entry.user_id] += entry.amount_milli
        assert {u: m for u, m in received.items() if m} == dict(recurring)  # monthly kudos: as recorded, no more
        transfers = [e.amount_milli for e in ledger if e.kind in ("transfer_in", "transfer_out")]
        assert sum(transfers) == 0
        rewards = Counter(e.job_id for e in ledger if e.kind == "worker_reward")
        charges = Counter(e.job_id for e in ledger if e.kind == "request_charge")
        done = {j.id: j for j in jobs if j.state == "done"}
        existing = {j.id for j in jobs}
        # a finished job is paid and charged once; one whose request expired since is gone, its ledger rows stay
        assert set(done) <= set(rewards)
        assert set(rewards) == set(charges)
        assert not (set(rewards) - set(done)) & existing
        assert all(count == 1 for count in (*rewards.values(), *charges.values()))
        for e in ledger:
            if e.kind == "worker_reward" and e.job_id in done:
                assert e.amount_milli == done[e.job_id].reward_milli
            if e.kind == "request_charge" and e.job_id in done:
                assert -e.amount_milli == done[e.job_id].charge_milli
        queued = Counter(j.request_id for j in jobs if j.state == "queued" and reqs[j.request_id].state == "waiting")
        indexed = {e.request_id: e.queued for e in entries}
        assert indexed == dict(queued)


KudosMachine.TestCase.settings = settings(
    max_examples=25, stateful_step_count=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestKudosConservation = KudosMachine.TestCase
