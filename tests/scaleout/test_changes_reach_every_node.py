"""Changes made through one node hold on another within their stated bound: two real ``horde serve`` processes on
one PostgreSQL, a moderator's change through node A (the JSON API, or the admin panel for what only it sets), and
node B polled until it acts on the change. Each delay is measured from the moment A answered."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from horde.queue.service import SYSTEM, HordeService, Role, moderation, modes
from horde.queue.settings import CoreSettings
from tests.conftest import _run
from tests.scaleout.test_cluster import processes, wait_for
from tests.test_cli import HORDE
from tests.test_serve_workers import free_port
from tests.web.conftest import log_in, post_form

pytestmark = pytest.mark.pg

SECRET = "changes-test-secret"
SLACK = 1.0  #: beyond a cache's maximum age: a poll's round trip and a busy 2-core machine
IMAGE: dict[str, object] = {
    "prompt": "a lighthouse",
    "models": ["tiny"],
    "params": {"width": 64, "height": 64, "steps": 1},
}
ELSEWHERE = {"X-Forwarded-For": "203.0.113.9"}  #: uvicorn trusts loopback's forwarding header by default


async def make_keys(url: str, data_dir: Path) -> tuple[str, str, str]:
    """(an admin's key, a user's key, a worker owner's key) in the nodes' database."""
    settings = CoreSettings(_env_file=None, data_dir=data_dir, database_url=url, secret_key=SECRET)
    service = HordeService.open(settings)
    try:
        await service.users.bootstrap()
        admin = await service.users.create_user(SYSTEM, "boss", role=Role.ADMIN)
        user = await service.users.create_user(SYSTEM, "asker", kudos=1000)
        owner = await service.users.create_user(SYSTEM, "owner")
        return admin.api_key, user.api_key, owner.api_key
    finally:
        await service.close()


async def delay_until(check: Callable[[], Awaitable[bool]], bound: float) -> float:
    """Seconds until ``check()`` holds, polled every 50 ms; fails past ``bound`` plus ``SLACK``."""
    started = time.monotonic()
    while not await check():
        waited = time.monotonic() - started
        assert waited <= bound + SLACK, f"not seen within {bound} s"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def rc_of(response: httpx.Response) -> str | None:
    return str(response.json().get("rc")) if response.status_code >= 400 else None


async def changes(node_a: str, node_b: str, admin: str, user: str, owner: str) -> dict[str, float]:
    delays: dict[str, float] = {}
    as_admin, as_user = {"apikey": admin}, {"apikey": user}
    async with httpx.AsyncClient(base_url=node_a, timeout=10) as a, httpx.AsyncClient(base_url=node_b, timeout=10) as b:

        async def refused_on_b(rc: str, headers: dict[str, str], body: dict[str, object] = IMAGE) -> bool:
            return await rc_of(await b.post("/api/v2/generate/async", json=body, headers=headers)) == rc

        # B has read every cached thing once (modes, filters) before A changes it
        assert (await b.post("/api/v2/generate/async", json=IMAGE, headers=as_user)).status_code == 202
        assert (await b.get("/api/v2/status/modes")).json()["maintenance_mode"] is False

        put = await a.put("/api/v2/status/modes", json={"maintenance_mode": True}, headers=as_admin)
        assert put.status_code == 200, put.text
        delays["maintenance on"] = await delay_until(
            lambda: refused_on_b("MaintenanceMode", as_user), modes.MAX_AGE_SECONDS
        )
        await a.put("/api/v2/status/modes", json={"maintenance_mode": False}, headers=as_admin)

        async def accepted_on_b() -> bool:
            return (await b.post("/api/v2/generate/async", json=IMAGE, headers=as_user)).status_code == 202

        delays["maintenance off"] = await delay_until(accepted_on_b, modes.MAX_AGE_SECONDS)

        await a.put("/api/v2/status/modes", json={"raid_mode": True}, headers=as_admin)
        delays["raid mode on"] = await delay_until(
            lambda: refused_on_b("RaidMode", {"apikey": "0000000000"}), modes.MAX_AGE_SECONDS
        )
        await a.put("/api/v2/status/modes", json={"raid_mode": False}, headers=as_admin)

        # a blocking filter puts the address that tripped it in timeout, so the admin (exempt) asks; B reads the
        # filters just before
        assert (await b.post("/api/v2/generate/async", json=IMAGE, headers=as_admin)).status_code == 202
        added = await a.put("/api/v2/filters", json={"regex": "light ?house", "filter_type": 20}, headers=as_admin)
        assert added.status_code == 200, added.text
        delays["prompt filter added"] = await delay_until(
            lambda: refused_on_b("CorruptPrompt", as_admin), moderation.FILTERS_MAX_AGE_SECONDS
        )

        blocked = await a.post(
            "/api/v2/operations/ipaddr", json={"ipaddr": "203.0.113.0/24", "hours": 1}, headers=as_admin
        )
        assert blocked.status_code == 200, blocked.text
        quiet: dict[str, object] = {**IMAGE, "prompt": "a quiet harbour"}
        delays["IP block"] = await delay_until(lambda: refused_on_b("TimeoutIP", as_user | ELSEWHERE, quiet), 0.0)

        await a.put("/api/v2/status/modes", json={"invite_only_mode": True}, headers=as_admin)
        pop = {"name": "newcomer", "models": ["tiny"], "max_pixels": 4096, "bridge_agent": "test:1:test"}

        async def new_worker_refused_on_b() -> bool:
            return await rc_of(await b.post("/api/v2/generate/pop", json=pop, headers={"apikey": owner})) == (
                "WorkerInviteOnly"
            )

        delays["invite-only on"] = await delay_until(new_worker_refused_on_b, 0.0)

        async with httpx.AsyncClient(base_url=node_a, timeout=10) as panel:  # the banner is the admin panel's
            await b.get("/")
            await log_in(panel, admin)
            saved = await post_form(panel, "/admin/modes", {"mode": "banner", "banner": "Back at noon"})
            assert saved.status_code == 200, saved.text

            async def banner_on_b() -> bool:
                return "Back at noon" in (await b.get("/")).text

            delays["banner"] = await delay_until(banner_on_b, modes.MAX_AGE_SECONDS)
    return delays


def test_a_change_through_one_node_holds_on_the_other_within_its_bound(tmp_path: Path, pg_url: str) -> None:
    admin, user, owner = _run(make_keys(pg_url, tmp_path / "setup"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HORDE_", "PROMETHEUS_"))}
    env |= {"HORDE_DATABASE_URL": pg_url, "HORDE_SECRET_KEY": SECRET, "HORDE_RATE_LIMITS": "off"}
    ports = [free_port(), free_port()]
    with processes() as procs:
        for i, port in enumerate(ports):
            with (tmp_path / f"node{i}.log").open("wb") as out:
                argv = [HORDE, "serve", "--port", str(port)]
                node_env = env | {"HORDE_DATA_DIR": str(tmp_path / f"node{i}")}
                procs.append(subprocess.Popen(argv, env=node_env, stdout=out, stderr=out))
        for port in ports:
            wait_for(f"http://127.0.0.1:{port}/api/v2/status/heartbeat")
        node_a, node_b = (f"http://127.0.0.1:{port}" for port in ports)
        delays = _run(changes(node_a, node_b, admin, user, owner))
    print("\n".join(f"{what}: seen on node B after {seconds:.2f} s" for what, seconds in delays.items()))  # noqa: T201
    assert delays["IP block"] < SLACK and delays["invite-only on"] < SLACK  # read from the database every time
