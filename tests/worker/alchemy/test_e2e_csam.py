"""End to end: the CSAM guard of a real worker process against a real Horde server.

A guarded worker (the tiny CLIP model, with thresholds that flag every image) makes images that never leave it: the
server receives black images with state ``csam``, records them against the requester, and flags the account past
its limit. A worker without a CLIP model serving a model from disk tells the server it has no guard, and so gets
only requests with nsfw=false and censoring on, and censors what it makes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest

from horde.queue.service import SYSTEM
from horde.worker.pipelines import tiny
from horde.worker.pipelines.tiny_alchemy import write_clip_model
from tests.worker.alchemy.live import LiveServer, fetch_image, live_server

FLAG_ALL = {"underage": {"child": -1.0}, "underage_critical": {}, "lewd": {"porn": -1.0}, "evidence_needed": 1}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("csam-e2e")
    clip = write_clip_model(root / "clip")
    thresholds = root / "flag-all.json"
    thresholds.write_text(json.dumps(FLAG_ALL))
    tiny.sd_pipeline().save_pretrained(root / "disk-model")  # a model from disk: not the built-in tiny
    with live_server(root / "data", csam_limit_per_hour=1) as server:
        server.spawn_worker(
            "--name", "guarded", "--model", "tiny", "--max-pixels", "4096", "--clip-model", str(clip), "--csam-guard",
            "--csam-thresholds", str(thresholds), log=root / "guarded.log",
        )  # fmt: skip
        server.spawn_worker(
            "--name", "unguarded", "--model", f"disk={root / 'disk-model'}", "--max-pixels", "4096",
            log=root / "unguarded.log",
        )  # fmt: skip
        server.wait_for_worker("guarded", "image")
        server.wait_for_worker("unguarded", "image")
        yield server


def generate(live: LiveServer, key: str, model: str, **extra: Any) -> str:
    body = {"prompt": "a red cat", "models": [model], "params": {"width": 64, "height": 64, "steps": 2}, **extra}
    response = httpx.post(f"{live.url}/api/v2/generate/async", json=body, headers={"apikey": key}, timeout=10)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def is_black(url: str) -> bool:
    return bool(np.asarray(fetch_image(url).convert("RGB")).max() == 0)


def test_flagged_images_never_leave_the_worker_and_the_server_records_them(live: LiveServer) -> None:
    key = live.make_user("requester", kudos=1000)
    request_id = generate(live, key, "tiny", params={"width": 64, "height": 64, "steps": 2, "n": 2})
    status = live.wait_done(f"/api/v2/generate/status/{request_id}")
    generations = status["generations"]
    assert len(generations) == 2
    for generation in generations:
        assert generation["state"] == "csam"
        assert {"type": "censorship", "value": "csam"} in generation["gen_metadata"]
        assert is_black(generation["img"])  # what reached the server is the black stand-in
    log = next(log for process, log in live.workers if "guarded.log" in log.name).read_text()
    assert log.count("the CSAM guard flagged image") == 2
    assert "CSAM guard on" in log
    flags = live.call(lambda service: service.csam.flagged(SYSTEM))
    assert {flag.name.split("#")[0] for flag in flags} == {"requester"}  # 2 results, past a limit of 1
    assert any("2 images blocked as CSAM" in flag.detail for flag in flags)


def test_a_worker_without_the_guard_gets_only_censored_sfw_work(live: LiveServer) -> None:
    key = live.make_user("careful", kudos=1000)
    uncensored = generate(live, key, "disk")
    censored = generate(live, key, "disk", censor_nsfw=True)
    status = live.wait_done(f"/api/v2/generate/status/{censored}")
    [generation] = status["generations"]
    assert (generation["state"], generation["worker_name"]) == ("censored", "unguarded")
    assert is_black(generation["img"])  # no checker on that worker: censoring fails closed
    waiting = httpx.get(f"{live.url}/api/v2/generate/check/{uncensored}", timeout=10).json()
    assert (waiting["done"], waiting["waiting"], waiting["processing"]) == (False, 1, 0)
    log = next(log for process, log in live.workers if "unguarded.log" in log.name).read_text()
    assert "CSAM guard OFF (no CLIP model configured" in log
