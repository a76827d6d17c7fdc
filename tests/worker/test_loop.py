from __future__ import annotations

import asyncio
import base64
import io
import os
import signal
from typing import Any

import httpx
from PIL import Image
from pydantic import SecretStr

from horde.worker import api_models
from horde.worker.backoff import BackoffPolicy
from horde.worker.client import HordeClient
from horde.worker.generate import ImageGenerator
from horde.worker.loop import ImageRunner, TextRunner, WorkerLoop, install_signal_handlers
from horde.worker.settings import WorkerSettings
from horde.worker.text import TextGenerator
from tests.worker.fakes import DIFFUSERS_NUMPY2_WARNINGS, FakeHorde, FakeSleep, fail_times, image_job

pytestmark = DIFFUSERS_NUMPY2_WARNINGS


def settings(**values: Any) -> WorkerSettings:
    return WorkerSettings(url="http://horde.test", api_key=SecretStr("k" * 22), poll_interval=0.01, **values)


def make_loop(
    server: FakeHorde, images: ImageRunner | None, texts: TextRunner | None = None, **values: Any
) -> WorkerLoop:
    client = HordeClient(
        "http://horde.test/api/v2",
        SecretStr("k" * 22),
        policy=BackoffPolicy(max_attempts=3),
        sleep=FakeSleep(),
        transport=server.transport(),
    )
    return WorkerLoop(settings(**values), client, images, texts, show_progress=False)


def stop_when_queue_empty(server: FakeHorde, loop: WorkerLoop) -> None:
    def on_pop() -> None:
        if not server.jobs:
            loop.stop.set()

    server.on_pop = on_pop


class FailingImages:
    def generate(self, job, sources=None, on_step=None):
        raise RuntimeError("out of memory, pretend")


async def test_pop_upload_submit_cycle(image_generator: ImageGenerator) -> None:
    server = FakeHorde(jobs=[image_job("a", n=2)])
    loop = make_loop(server, image_generator, once=True)
    summary = await loop.run()
    assert set(server.uploads) == {"a-0", "a-1"}
    assert Image.open(io.BytesIO(server.uploads["a-0"])).size == (64, 64)
    assert [(s["id"], s["generation"], s["seed"], s["state"]) for s in server.submits] == [
        ("a-0", "R2", 42, "ok"),
        ("a-1", "R2", 43, "ok"),
    ]
    assert summary.kudos == 20.0
    assert summary.submitted == 2
    pop = server.bodies("/api/v2/generate/pop")[0]
    assert pop["models"] == ["tiny"]
    assert pop["bridge_agent"].startswith("horde-worker:")
    assert pop["allow_lora"] is False
    assert pop["allow_post_processing"] is False


async def test_without_upload_url_the_image_goes_as_base64(image_generator: ImageGenerator) -> None:
    server = FakeHorde(jobs=[{**image_job("b"), "r2_upload": None, "r2_uploads": None}])
    await make_loop(server, image_generator, once=True).run()
    [submit] = server.submits
    assert Image.open(io.BytesIO(base64.b64decode(submit["generation"]))).format == "WEBP"


async def test_failed_upload_falls_back_to_base64(image_generator: ImageGenerator) -> None:
    server = FakeHorde(jobs=[image_job("c")])
    server.failures.append(lambda request: httpx.Response(403) if request.method == "PUT" else None)
    await make_loop(server, image_generator, once=True).run()
    assert server.submits[0]["generation"] != "R2"


async def test_a_rejected_submit_abandons_that_job_and_the_loop_goes_on(image_generator: ImageGenerator) -> None:
    server = FakeHorde(jobs=[image_job("first"), image_job("second")])
    server.failures.append(fail_times(1, 400, "/generate/submit"))
    loop = make_loop(server, image_generator)
    stop_when_queue_empty(server, loop)
    summary = await asyncio.wait_for(loop.run(), timeout=30)
    assert [s["id"] for s in server.submits] == ["second"]
    assert (summary.abandoned, summary.submitted) == (1, 1)


async def test_a_rejected_pop_is_logged_and_popping_goes_on(image_generator: ImageGenerator) -> None:
    server = FakeHorde(jobs=[image_job("later")])
    server.failures.append(fail_times(1, 403, "/generate/pop"))
    loop = make_loop(server, image_generator)
    stop_when_queue_empty(server, loop)
    await asyncio.wait_for(loop.run(), timeout=30)
    assert [s["id"] for s in server.submits] == ["later"]


async def test_stop_during_a_job_drains_it_then_stops(image_generator: ImageGenerator) -> None:
    server = FakeHorde(jobs=[image_job("current"), image_job("never")])
    loop = make_loop(server, image_generator)
    server.on_pop = loop.stop.set  # the signal arrives while the first job is being fetched
    await asyncio.wait_for(loop.run(), timeout=30)
    assert [s["id"] for s in server.submits] == ["current"]
    assert len(server.bodies("/api/v2/generate/pop")) == 1


async def test_failing_generation_submits_faulted() -> None:
    server = FakeHorde(jobs=[image_job("bad", n=2)])
    summary = await make_loop(server, FailingImages(), once=True).run()
    assert [(s["id"], s["state"]) for s in server.submits] == [("bad-0", "faulted"), ("bad-1", "faulted")]
    assert server.uploads == {}
    assert summary.faulted == 2


async def test_text_job_cycle(text_generator: TextGenerator) -> None:
    text_job = {"id": "t", "ids": ["t"], "model": "tiny", "payload": {"prompt": "Hi", "max_length": 8, "seed": 5}}
    server = FakeHorde(text_jobs=[text_job])
    summary = await make_loop(server, None, text_generator, text_models=["tiny"], once=True).run()
    [submit] = server.submits
    assert (submit["id"], submit["seed"], submit["state"]) == ("t", 5, "ok")
    assert isinstance(submit["generation"], str)
    assert summary.kudos == 10.0
    pop = server.bodies("/api/v2/generate/text/pop")[0]
    assert (pop["models"], pop["max_length"]) == (["tiny"], 512)


async def test_source_image_by_url_is_downloaded(image_generator: ImageGenerator) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "green").save(buffer, format="WEBP")
    job = {**image_job("src"), "source_image": "https://storage.test/source.webp", "source_processing": "img2img"}
    server = FakeHorde(jobs=[job])
    server.failures.append(
        lambda r: httpx.Response(200, content=buffer.getvalue()) if r.url.path == "/source.webp" else None
    )
    await make_loop(server, image_generator, once=True).run()
    assert server.submits[0]["state"] == "ok"
    assert "apikey" not in next(r for r in server.requests if r.url.path == "/source.webp").headers


async def test_sigterm_sets_the_stop_event() -> None:
    stop = asyncio.Event()
    remove = install_signal_handlers(stop)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(stop.wait(), timeout=5)
    finally:
        remove()
    assert stop.is_set()


def test_pop_request_reflects_settings() -> None:
    from horde.worker.capabilities import image_pop_request

    body = image_pop_request(settings(models=["tiny", "sd15=/models/sd15"], nsfw=False, allow_lora=True))
    assert body.models == ["tiny", "sd15"]
    assert body.nsfw is False
    assert body.allow_lora is False  # no lora_dir: not advertised
    assert isinstance(body, api_models.ImagePopRequest)


async def test_a_stop_ends_a_pop_that_waits_out_the_backoff_of_an_unreachable_server() -> None:
    """SIGTERM while the server is down: the pop holds no job, so the worker stops at once instead of retrying."""

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("All connection attempts failed", request=request)

    client = HordeClient(
        "http://horde.test/api/v2",
        SecretStr("k" * 22),
        policy=BackoffPolicy(base=10.0, max_attempts=10),  # real sleeps: at least 5 s before the second try
        transport=httpx.MockTransport(unreachable),
    )
    loop = WorkerLoop(settings(), client, FailingImages(), None, show_progress=False)
    running = asyncio.create_task(loop.run())
    await asyncio.sleep(0.3)  # the first pop failed and waits out its backoff
    assert not running.done()
    loop.stop.set()
    summary = await asyncio.wait_for(running, timeout=2)
    assert (summary.submitted, summary.faulted) == (0, 0)
