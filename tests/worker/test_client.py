from __future__ import annotations

import json
import random

import httpx
import pytest
from pydantic import SecretStr

from horde.worker import api_models
from horde.worker.backoff import BackoffPolicy
from horde.worker.client import CLIENT_AGENT, HordeClient
from horde.worker.errors import RequestRejectedError, ServerUnavailableError
from tests.worker.fakes import FakeHorde, FakeSleep, fail_times, image_job

POP = api_models.ImagePopRequest(
    name="w", models=["tiny"], bridge_agent=CLIENT_AGENT, nsfw=True, threads=1, amount=1, max_pixels=4096,
    allow_img2img=True, allow_painting=True,
)  # fmt: skip


def make_client(server: FakeHorde, sleep: FakeSleep, attempts: int = 5) -> HordeClient:
    policy = BackoffPolicy(base=1.0, cap=30.0, max_attempts=attempts, rng=random.Random(0))
    return HordeClient(
        "http://horde.test/api/v2", SecretStr("k" * 22), policy=policy, sleep=sleep, transport=server.transport()
    )


async def test_pop_sends_key_agent_and_body() -> None:
    server = FakeHorde(jobs=[image_job()])
    async with make_client(server, FakeSleep()) as client:
        job = await client.pop_image(POP)
    assert job.job_ids == ["job-1"]
    request = server.requests[0]
    assert request.url == "http://horde.test/api/v2/generate/pop"
    assert request.headers["apikey"] == "k" * 22
    assert request.headers["Client-Agent"].startswith("horde-worker:0.1.0:")
    body = json.loads(request.content)
    assert body["bridge_agent"] == CLIENT_AGENT
    assert body["max_pixels"] == 4096


async def test_503_and_network_errors_are_retried_with_growing_delays() -> None:
    server = FakeHorde(jobs=[image_job()])
    server.failures.append(fail_times(2, 503, "/pop"))
    server.failures.append(fail_times(2, path="/pop", exc=httpx.ConnectError("refused")))
    sleep = FakeSleep()
    async with make_client(server, sleep) as client:
        job = await client.pop_image(POP)
    assert job.job_ids == ["job-1"]
    assert len(server.requests) == 5
    assert len(sleep.delays) == 4
    assert sleep.delays == sorted(sleep.delays)
    assert sleep.delays[0] <= 1.0 and sleep.delays[-1] >= 4.0


async def test_retries_give_up_after_the_policy_allows() -> None:
    server = FakeHorde()
    server.failures.append(fail_times(99, 502))
    sleep = FakeSleep()
    async with make_client(server, sleep, attempts=3) as client:
        with pytest.raises(ServerUnavailableError) as caught:
            await client.pop_image(POP)
    assert caught.value.attempts == 3
    assert len(sleep.delays) == 2


async def test_4xx_is_raised_at_once_with_its_rc() -> None:
    server = FakeHorde()
    server.failures.append(fail_times(1, 403, "/pop"))
    sleep = FakeSleep()
    async with make_client(server, sleep) as client:
        with pytest.raises(RequestRejectedError) as caught:
            await client.pop_image(POP)
    assert (caught.value.status, caught.value.rc) == (403, "TestFailure")
    assert sleep.delays == []


async def test_upload_puts_bytes_without_the_api_key() -> None:
    server = FakeHorde()
    async with make_client(server, FakeSleep()) as client:
        await client.upload("https://storage.test/upload/abc", b"webp-bytes")
    assert server.uploads == {"abc": b"webp-bytes"}
    assert "apikey" not in server.requests[0].headers


async def test_upload_answered_other_than_200_fails() -> None:
    server = FakeHorde()
    server.failures.append(lambda request: httpx.Response(201) if request.method == "PUT" else None)
    async with make_client(server, FakeSleep()) as client:
        with pytest.raises(RequestRejectedError):
            await client.upload("https://storage.test/upload/abc", b"x")
