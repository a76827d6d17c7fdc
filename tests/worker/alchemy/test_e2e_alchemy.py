"""End to end: a real Horde server and a real ``horde worker --alchemy`` process with the tiny alchemy models.

Every form an alchemist can serve goes through the server's queue, the worker's pop, the signed source image, the
worker's models, the signed upload and the submit, and comes back in the requester's status.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from horde.worker.alchemy import forms
from horde.worker.pipelines.tiny_alchemy import write_alchemy_dir
from tests.worker.alchemy.live import LiveServer, fetch_image, live_server, png_base64

SERVED = [name for name in forms.ALL_FORMS if name != "CodeFormers"]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("alchemy-e2e")
    models = write_alchemy_dir(root / "models")
    with live_server(root / "data") as server:
        server.start_worker(
            "--name", "e2e", "--model", "tiny", "--max-pixels", "4096", "--alchemy", "--alchemy-dir", str(models),
            name="e2e (alchemy)", kind="interrogation", log=root / "worker.log",
        )  # fmt: skip
        yield server


def ask(live: LiveServer, key: str, names: list[str]) -> str:
    body = {"forms": [{"name": name} for name in names], "source_image": png_base64(64, 48)}
    response = httpx.post(f"{live.url}/api/v2/interrogate/async", json=body, headers={"apikey": key}, timeout=10)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def test_every_served_form_round_trips(live: LiveServer) -> None:
    key = live.make_user("asker", kudos=1000)
    unserved = ask(live, key, ["CodeFormers"])
    upscalers = list(forms.UPSCALERS)  # a request may ask for one upscaler at most
    first = ask(live, key, ["caption", "interrogation", "nsfw", "GFPGAN", "strip_background", upscalers[0]])
    requests = [first, *(ask(live, key, [name]) for name in upscalers[1:])]
    results: dict[str, Any] = {}
    for request_id in requests:
        status = live.wait_done(f"/api/v2/interrogate/status/{request_id}")
        assert status["state"] == "done", status
        assert {form["state"] for form in status["forms"]} == {"done"}
        results.update({form["form"]: form["result"] for form in status["forms"]})
    assert set(results) == set(SERVED)
    assert isinstance(results["caption"]["caption"], str) and results["caption"]["caption"]
    tags = results["interrogation"]["interrogation"]["tags"]
    assert len(tags) == 10 and all(isinstance(tag["confidence"], float) for tag in tags)
    assert isinstance(results["nsfw"]["nsfw"], bool)
    for name, scale in forms.UPSCALERS.items():
        image = fetch_image(results[name][name])
        assert image.size == (64 * scale, 48 * scale), name
    fixed = fetch_image(results["GFPGAN"]["GFPGAN"])
    assert fixed.size == (64, 48)
    stripped = fetch_image(results["strip_background"]["strip_background"])
    assert (stripped.size, stripped.mode) == ((64, 48), "RGBA")
    # the worker never advertised CodeFormers, so the form asked for first is still waiting
    waiting = httpx.get(f"{live.url}/api/v2/interrogate/status/{unserved}", timeout=10).json()
    assert waiting["forms"] == [{"form": "CodeFormers", "state": "waiting", "result": None}]


def test_the_alchemist_and_the_image_worker_are_listed_apart(live: LiveServer) -> None:
    alchemists = httpx.get(f"{live.url}/api/v2/workers", params={"type": "interrogation"}, timeout=10).json()
    images = httpx.get(f"{live.url}/api/v2/workers", params={"type": "image"}, timeout=10).json()
    assert [w["name"] for w in alchemists] == ["e2e (alchemy)"]
    assert [w["name"] for w in images] == ["e2e"]
    performance = httpx.get(f"{live.url}/api/v2/status/performance", timeout=10).json()
    assert performance["interrogator_count"] == 1


def test_an_image_job_is_post_processed_in_order(live: LiveServer) -> None:
    key = live.make_user("painter", kudos=1000)
    params = {"width": 64, "height": 64, "steps": 2, "post_processing": ["RealESRGAN_x2plus", "strip_background"]}
    body = {"prompt": "a red cat", "models": ["tiny"], "params": params}
    response = httpx.post(f"{live.url}/api/v2/generate/async", json=body, headers={"apikey": key}, timeout=10)
    assert response.status_code == 202, response.text
    status = live.wait_done(f"/api/v2/generate/status/{response.json()['id']}")
    [generation] = status["generations"]
    assert generation["state"] == "ok"
    image = fetch_image(generation["img"])
    assert (image.size, image.mode) == ((128, 128), "RGBA")
