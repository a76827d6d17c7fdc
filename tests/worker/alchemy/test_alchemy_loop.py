"""The alchemy loop against a fake Horde: pop, fetch the source, run, upload image results, submit."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pydantic import SecretStr

from horde.worker.alchemy.alchemist import Alchemist, load_alchemist, load_post_processors
from horde.worker.alchemy.clip import ClipEncoder
from horde.worker.backoff import BackoffPolicy
from horde.worker.client import HordeClient
from horde.worker.loop import WorkerLoop
from horde.worker.pipelines.loader import Runtime
from horde.worker.safety.thresholds import GuardThresholds
from horde.worker.settings import WorkerSettings
from tests.worker.alchemy.fakes import FakeAlchemyHorde, alchemy_form, png
from tests.worker.fakes import FakeSleep


@pytest.fixture(scope="module")
def alchemist(alchemy_dir: Path, cpu: Runtime, tiny_clip: ClipEncoder) -> Alchemist:
    settings = WorkerSettings(alchemy_dir=alchemy_dir)
    return load_alchemist(settings, cpu, load_post_processors(settings, cpu), tiny_clip, GuardThresholds())


def make_loop(server: FakeAlchemyHorde, alchemist: Alchemist, **values: Any) -> WorkerLoop:
    client = HordeClient(
        "http://horde.test/api/v2", SecretStr("k" * 22), policy=BackoffPolicy(max_attempts=2), sleep=FakeSleep(),
        transport=server.transport(),
    )  # fmt: skip
    settings = WorkerSettings(url="http://horde.test", name="w", once=True, poll_interval=0.01, **values)
    return WorkerLoop(settings, client, None, alchemist=alchemist, show_progress=False)


def test_the_alchemist_serves_what_loaded(alchemist: Alchemist) -> None:
    assert alchemist.forms == [
        "caption", "interrogation", "nsfw", "RealESRGAN_x4plus", "RealESRGAN_x2plus", "RealESRGAN_x4plus_anime_6B",
        "NMKD_Siax", "4x_AnimeSharp", "GFPGAN", "strip_background",
    ]  # fmt: skip
    assert alchemist.unavailable == {"CodeFormers": "no model file configured"}
    assert alchemist.describe()[1] == "  not CodeFormers: no model file configured"
    with pytest.raises(KeyError, match="CodeFormers"):
        alchemist.run("CodeFormers", Image.new("RGB", (8, 8)))


async def test_data_forms_and_image_forms_round_trip(alchemist: Alchemist) -> None:
    forms = [
        alchemy_form("c", "caption"),
        alchemy_form("i", "interrogation"),
        alchemy_form("n", "nsfw"),
        alchemy_form("u", "RealESRGAN_x2plus"),
        alchemy_form("s", "strip_background", upload=False),
    ]
    server = FakeAlchemyHorde(pops=[forms], sources={f["id"]: png(40, 32) for f in forms})
    summary = await make_loop(server, alchemist, alchemy=True).run()
    results = {s["id"]: s for s in server.alchemy_submits}
    assert {s["state"] for s in results.values()} == {"ok"}
    assert isinstance(results["c"]["result"]["caption"], str)
    assert set(results["i"]["result"]["interrogation"]) == {
        "tags",
        "mediums",
        "movements",
        "flavors",
        "techniques",
        "sites",
    }
    assert all({"text", "confidence"} == set(tag) for tag in results["i"]["result"]["interrogation"]["tags"])
    assert isinstance(results["n"]["result"]["nsfw"], bool)
    assert results["u"]["result"] == {"RealESRGAN_x2plus": "R2"}
    upscaled = Image.open(io.BytesIO(server.uploads["u"]))
    assert (upscaled.format, upscaled.size) == ("WEBP", (80, 64))
    stripped = Image.open(io.BytesIO(base64.b64decode(results["s"]["result"]["strip_background"])))
    assert (stripped.size, stripped.mode) == ((40, 32), "RGBA")
    sources = [r for r in server.requests if r.url.path.startswith("/source/")]
    assert len(sources) == 5 and all("apikey" not in r.headers for r in sources)
    assert (summary.submitted, summary.kudos) == (5, 50.0)
    pop = server.bodies("/api/v2/interrogate/pop")[0]
    assert (pop["name"], pop["forms"], pop["max_tiles"]) == ("w (alchemy)", alchemist.forms, 16)
    assert server.bodies("/api/v2/generate/pop") == []  # no image generator: no image pops


async def test_a_form_that_cannot_be_done_is_submitted_faulted(alchemist: Alchemist) -> None:
    forms = [alchemy_form("gone", "caption"), alchemy_form("bad", "CodeFormers"), alchemy_form("ok", "nsfw")]
    server = FakeAlchemyHorde(pops=[forms], sources={"bad": png(), "ok": png()})  # "gone" answers 404
    summary = await make_loop(server, alchemist, alchemy_only=True).run()
    states = {s["id"]: (s["state"], s["result"]) for s in server.alchemy_submits}
    assert states["gone"] == ("faulted", {})
    assert states["bad"] == ("faulted", {})
    assert states["ok"][0] == "ok"
    assert (summary.faulted, summary.submitted) == (2, 3)
    assert server.uploads == {}
    assert server.bodies("/api/v2/interrogate/pop")[0]["name"] == "w"  # alchemy only: the plain name


async def test_nothing_to_do_is_a_quiet_round(alchemist: Alchemist) -> None:
    server = FakeAlchemyHorde()
    summary = await make_loop(server, alchemist, alchemy=True).run()
    assert server.alchemy_submits == []
    assert summary.submitted == 0
    assert len(server.bodies("/api/v2/interrogate/pop")) == 1
