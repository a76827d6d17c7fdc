"""Image jobs: post-processing after generation, then the CSAM guard; a flagged image never leaves the worker."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from pydantic import SecretStr

from horde.worker import api_models
from horde.worker.alchemy.alchemist import load_post_processors
from horde.worker.alchemy.clip import ClipEncoder
from horde.worker.alchemy.postprocessors import PostProcessors
from horde.worker.assembly import Safety, build_generators
from horde.worker.backoff import BackoffPolicy
from horde.worker.client import HordeClient
from horde.worker.generate import ImageGenerator
from horde.worker.loop import WorkerLoop
from horde.worker.pipelines.loader import ModelCache, Runtime
from horde.worker.safety.guard import CsamGuard
from horde.worker.safety.policy import plan
from horde.worker.safety.thresholds import GuardThresholds, load_thresholds
from horde.worker.settings import WorkerSettings
from tests.worker.fakes import DIFFUSERS_NUMPY2_WARNINGS, FakeHorde, FakeSleep, image_job

pytestmark = DIFFUSERS_NUMPY2_WARNINGS

#: thresholds under which every image is flagged (every concept "matches"), and under which none is
FLAG_ALL = {"underage": {"child": -1.0}, "underage_critical": {}, "lewd": {"porn": -1.0}, "evidence_needed": 1}
FLAG_NONE = {"underage": {"child": 1.01}, "underage_critical": {}, "lewd": {"porn": 1.01}}


def pop(**payload: Any) -> api_models.ImagePopResponse:
    n = payload.pop("n", 1)
    return api_models.ImagePopResponse.model_validate(image_job(n=n, **{"ddim_steps": 1, **payload}))


def is_black(image: Image.Image) -> bool:
    return bool(np.asarray(image.convert("RGB")).max() == 0)


@dataclass(frozen=True)
class StubVerdict:
    flagged: bool


class StubGuard:
    """Flags the images whose index is listed, and records what it was shown."""

    def __init__(self, flag: set[int]) -> None:
        self.flag = flag
        self.seen: list[tuple[tuple[int, int], str]] = []

    def check(self, images: Sequence[Image.Image], prompt: str) -> list[StubVerdict]:
        self.seen += [(image.size, prompt) for image in images]
        return [StubVerdict(i in self.flag) for i in range(len(images))]


@pytest.fixture(scope="module")
def post_processors(alchemy_dir: Path, cpu: Runtime) -> PostProcessors:
    return load_post_processors(WorkerSettings(alchemy_dir=alchemy_dir), cpu)


def test_post_processing_runs_in_order_after_generation(
    image_models: ModelCache, post_processors: PostProcessors
) -> None:
    guard = StubGuard(set())
    generator = ImageGenerator(image_models, post_processors=post_processors, guard=guard)
    [result] = generator.generate(pop(post_processing=["RealESRGAN_x2plus", "strip_background"]))
    decoded = Image.open(io.BytesIO(result.webp))
    assert (decoded.format, decoded.size, decoded.mode) == ("WEBP", (128, 128), "RGBA")
    assert result.state == "ok"
    assert guard.seen == [((128, 128), "a red cat ### blurry")]  # the guard sees the final image


def test_a_post_processor_not_served_faults_the_job_before_generating(image_models: ModelCache) -> None:
    generator = ImageGenerator(image_models)
    assert generator.post_processor_names == []
    with pytest.raises(ValueError, match="post-processors not served here: GFPGAN"):
        generator.generate(pop(post_processing=["GFPGAN"]))


def test_a_flagged_image_is_replaced_by_black_with_csam_metadata(image_models: ModelCache) -> None:
    clean, flagged = ImageGenerator(image_models, max_batch=2, guard=StubGuard({1})).generate(pop(n=2))
    assert (clean.state, flagged.state) == ("ok", "csam")
    assert not is_black(clean.image)
    assert flagged.metadata == [api_models.GenMetadata(type="censorship", value="csam")]
    assert is_black(flagged.image)
    assert flagged.image.size == clean.image.size
    assert is_black(Image.open(io.BytesIO(flagged.webp)))


def test_a_guard_that_does_not_judge_every_image_faults_the_job(image_models: ModelCache) -> None:
    class Silent(StubGuard):
        def check(self, images: Sequence[Image.Image], prompt: str) -> list[StubVerdict]:
            return []

    with pytest.raises(RuntimeError, match="judged 0 of 1"):
        ImageGenerator(image_models, guard=Silent(set())).generate(pop())


def test_a_worker_without_the_guard_censors_every_image(image_models: ModelCache) -> None:
    checked: list[int] = []

    def checker(images: list[Image.Image]) -> list[bool]:
        checked.append(len(images))
        return [True] * len(images)

    generator = ImageGenerator(image_models, always_censor=True, safety_checker=checker)
    [result] = generator.generate(pop(use_nsfw_censor=False))  # the request did not ask for it
    assert checked == [1]
    assert (result.state, result.metadata[0].value) == ("censored", "nsfw")
    assert is_black(result.image)


@pytest.mark.parametrize(("overrides", "flagged"), [(FLAG_ALL, True), (FLAG_NONE, False)])
def test_the_real_guard_scores_with_the_tiny_clip(
    tiny_clip: ClipEncoder, overrides: dict[str, Any], flagged: bool
) -> None:
    guard = CsamGuard(tiny_clip, GuardThresholds().with_overrides(overrides))
    images = [Image.effect_noise((64, 64), 60).convert("RGB"), Image.new("RGB", (48, 64), "blue")]
    verdicts = guard.check(images, "a red cat")
    assert [v.flagged for v in verdicts] == [flagged, flagged]
    assert set(verdicts[0].scores) == set(guard.thresholds.concepts)


def test_assembly_wires_guard_censor_and_post_processors(
    image_models: ModelCache, tiny_clip: ClipEncoder, post_processors: PostProcessors, alchemy_dir: Path, tmp_path: Path
) -> None:
    thresholds_file = tmp_path / "flag-all.json"
    thresholds_file.write_text(json.dumps(FLAG_ALL))
    settings = WorkerSettings(clip_model=alchemy_dir / "clip", csam_guard=True, csam_thresholds=thresholds_file)
    safety = Safety(plan(settings), load_thresholds(thresholds_file), tiny_clip)
    images, _ = build_generators(
        settings, Runtime("cpu", image_models.runtime.dtype), safety=safety, post_processors=post_processors
    )
    assert isinstance(images.guard, CsamGuard)
    assert images.safety_checker is not None and not images.always_censor
    assert images.post_processor_names == post_processors.names
    unguarded, _ = build_generators(WorkerSettings(models=["sd15=/m/sd15"]), image_models.runtime)
    assert unguarded.guard is None and unguarded.always_censor
    tiny, _ = build_generators(WorkerSettings(), image_models.runtime)
    assert tiny.guard is None and not tiny.always_censor


async def test_a_flagged_image_never_leaves_the_worker(image_models: ModelCache) -> None:
    plain = ImageGenerator(image_models).generate(pop())[0]
    server = FakeHorde(jobs=[image_job("flagged")])
    client = HordeClient(
        "http://horde.test/api/v2", SecretStr("k" * 22), policy=BackoffPolicy(max_attempts=2), sleep=FakeSleep(),
        transport=server.transport(),
    )  # fmt: skip
    settings = WorkerSettings(url="http://horde.test", once=True)
    generator = ImageGenerator(image_models, guard=StubGuard({0}))
    summary = await WorkerLoop(settings, client, generator, show_progress=False).run()
    [submit] = server.submits
    assert (submit["id"], submit["state"], submit["censored"], submit["generation"]) == ("flagged", "csam", True, "R2")
    assert submit["gen_metadata"] == [{"type": "censorship", "value": "csam"}]
    uploaded = server.uploads["flagged"]
    assert is_black(Image.open(io.BytesIO(uploaded)))
    sent = b"".join(r.content for r in server.requests)
    assert plain.webp not in sent  # the generated image's bytes are nowhere in what went out
    assert summary.submitted == 1
