"""``GET /metrics`` in Prometheus's text format, and ``status/heartbeat`` for the load balancer."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from prometheus_client.parser import text_string_to_metric_families

from horde.queue.service import HordeService
from horde.webapp.app import create_app
from tests.api.conftest import IMAGE, POP, Keys, h
from tests.conftest import make_web_settings

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client: httpx.AsyncClient) -> Samples:
    r = await client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(r.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_the_heartbeat_answers_ok(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v2/status/heartbeat")
    assert r.status_code == 200
    assert r.json()["message"] == "OK"


async def test_requests_are_counted_and_timed_by_route_template(client: httpx.AsyncClient) -> None:
    route = "/api/v2/generate/check/{id}"
    before = await scrape(client)
    for request_id in ("00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002"):
        assert (await client.get(f"/api/v2/generate/check/{request_id}")).status_code == 404
    assert (await client.get("/no/such/page/at/all")).status_code == 404
    after = await scrape(client)

    counted = "horde_http_requests_total"
    assert (
        value(after, counted, method="GET", route=route, status="404")
        - value(before, counted, method="GET", route=route, status="404")
        == 2
    )
    timed = "horde_http_request_duration_seconds_count"
    assert value(after, timed, method="GET", route=route) - value(before, timed, method="GET", route=route) == 2
    assert value(after, counted, method="GET", route="unmatched", status="404") >= 1
    assert not any("00000000" in str(labels) for _, labels in after)  # no raw path ever becomes a label


async def test_queue_depth_workers_online_and_jobs_handed_out(client: httpx.AsyncClient, keys: Keys) -> None:
    asker, runner = await keys.user("asker", kudos=100), await keys.user("runner")
    for _ in range(3):
        assert (await client.post("/api/v2/generate/async", json=IMAGE, headers=h(asker))).status_code == 202
    before = await scrape(client)
    assert value(before, "horde_queued_jobs", kind="image", model="tiny") == 3
    assert value(before, "horde_workers_online", kind="image") == 0

    job = (await client.post("/api/v2/generate/pop", json=POP, headers=h(runner))).json()
    assert len(job["ids"]) == 1
    after = await scrape(client)
    assert value(after, "horde_queued_jobs", kind="image", model="tiny") == 2
    assert value(after, "horde_workers_online", kind="image") == 1
    handed = "horde_jobs_handed_out_total"
    assert value(after, handed, kind="image") - value(before, handed, kind="image") == 1


async def test_sweeps_of_the_running_app_count_rounds_and_timed_out_jobs(
    tmp_path: Path, db_url: str, keys: Keys, api_service: HordeService, frozen_clock: Any
) -> None:
    """The app's own sweep loop (not a test's call) feeds the counters."""
    settings = make_web_settings(tmp_path, db_url, rate_limits="off", run_sweeps=True, sweep_interval=0.05)
    app = create_app(settings, service=api_service)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://horde.test") as client:
            asker, runner = await keys.user("asker", kudos=100), await keys.user("runner")
            before = await scrape(client)
            assert (await client.post("/api/v2/generate/async", json=IMAGE, headers=h(asker))).status_code == 202
            job = (await client.post("/api/v2/generate/pop", json=POP, headers=h(runner))).json()
            frozen_clock.advance(job["ttl"] + 1)  # the worker never comes back
            timed_out = "horde_jobs_timed_out_total"
            for _ in range(100):
                after = await scrape(client)
                if value(after, timed_out, outcome="requeued") > value(before, timed_out, outcome="requeued"):
                    break
                await asyncio.sleep(0.05)
            assert value(after, timed_out, outcome="requeued") - value(before, timed_out, outcome="requeued") == 1
            assert value(after, "horde_sweep_runs_total") > value(before, "horde_sweep_runs_total")
