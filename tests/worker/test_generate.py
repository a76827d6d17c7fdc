from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from horde.worker import api_models
from horde.worker.censor import NO_CHECKER_REF
from horde.worker.generate import (
    ImageGenerator,
    SourceImages,
    circular_padding,
    job_seeds,
    parse_seed,
    split_prompt,
)
from horde.worker.pipelines.loader import ModelCache
from tests.worker.fakes import DIFFUSERS_NUMPY2_WARNINGS, image_job

pytestmark = DIFFUSERS_NUMPY2_WARNINGS


def pop(**kwargs: Any) -> api_models.ImagePopResponse:
    n = kwargs.pop("n", 1)
    return api_models.ImagePopResponse.model_validate(image_job(n=n, **kwargs))


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.float32)


def test_txt2img_gives_a_webp_of_the_requested_size(image_generator: ImageGenerator) -> None:
    [result] = image_generator.generate(pop(width=128, height=64))
    decoded = Image.open(io.BytesIO(result.webp))
    assert decoded.format == "WEBP"
    assert decoded.size == (128, 64)
    assert result.seed == 42
    assert result.state == "ok"


def test_same_seed_same_image_and_another_seed_another(image_generator: ImageGenerator) -> None:
    first = image_generator.generate(pop(seed="7"))[0].image
    again = image_generator.generate(pop(seed=7))[0].image
    other = image_generator.generate(pop(seed="8"))[0].image
    assert np.array_equal(pixels(first), pixels(again))
    assert not np.array_equal(pixels(first), pixels(other))


def test_batch_runs_each_seed_as_if_alone(image_generator: ImageGenerator) -> None:
    steps: list[tuple[int, int]] = []
    batch = image_generator.generate(pop(n=3, seed="100"), on_step=lambda done, total: steps.append((done, total)))
    assert [r.seed for r in batch] == [100, 101, 102]
    single = image_generator.generate(pop(seed="101"))[0]
    assert np.allclose(pixels(batch[1].image), pixels(single.image), atol=1)
    assert steps[-1][0] == steps[-1][1]  # the bar reaches its total over both chunks (max_batch=2)


def test_img2img_and_inpainting_run(image_generator: ImageGenerator) -> None:
    source = Image.new("RGB", (64, 64), "red")
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (16, 16, 48, 48))
    [i2i] = image_generator.generate(pop(denoising_strength=0.5), SourceImages(source))
    painting = api_models.ImagePopResponse.model_validate({**image_job(), "source_processing": "inpainting"})
    [inpainted] = image_generator.generate(painting, SourceImages(source, mask))
    [txt2img] = image_generator.generate(pop())
    assert i2i.image.size == inpainted.image.size == (64, 64)
    assert not np.array_equal(pixels(i2i.image), pixels(txt2img.image))
    assert not np.array_equal(pixels(inpainted.image), pixels(txt2img.image))


def test_inpainting_takes_the_mask_from_the_alpha_channel(image_generator: ImageGenerator) -> None:
    source = Image.new("RGBA", (64, 64), (0, 0, 255, 255))
    source.paste((0, 0, 0, 0), (0, 0, 32, 64))
    job = api_models.ImagePopResponse.model_validate({**image_job(), "source_processing": "outpainting"})
    [result] = image_generator.generate(job, SourceImages(source))
    assert result.image.size == (64, 64)


def test_inpainting_without_mask_or_alpha_fails(image_generator: ImageGenerator) -> None:
    job = api_models.ImagePopResponse.model_validate({**image_job(), "source_processing": "inpainting"})
    with pytest.raises(ValueError, match="alpha"):
        image_generator.generate(job, SourceImages(Image.new("RGB", (64, 64))))


def test_tiling_and_clip_skip_change_the_image_and_tiling_is_undone(image_generator: ImageGenerator) -> None:
    plain = image_generator.generate(pop())[0].image
    tiled = image_generator.generate(pop(tiling=True))[0].image
    skipped = image_generator.generate(pop(clip_skip=2))[0].image
    assert not np.array_equal(pixels(plain), pixels(tiled))
    assert not np.array_equal(pixels(plain), pixels(skipped))
    unet = image_generator.models.get("tiny").unet
    assert {m.padding_mode for m in unet.modules() if isinstance(m, torch.nn.Conv2d)} == {"zeros"}


def test_circular_padding_restores_modes() -> None:
    conv = torch.nn.Conv2d(1, 1, 3, padding=1, padding_mode="reflect")
    with circular_padding(torch.nn.Sequential(conv)):
        inside = conv.padding_mode
    assert (inside, conv.padding_mode) == ("circular", "reflect")


def test_censoring_without_a_checker_fails_closed(image_generator: ImageGenerator) -> None:
    [result] = image_generator.generate(pop(use_nsfw_censor=True))
    assert result.state == "censored"
    assert pixels(result.image).max() == 0
    assert result.metadata == [api_models.GenMetadata(type="censorship", value="see_ref", ref=NO_CHECKER_REF)]


def test_censoring_with_a_checker_blanks_only_flagged_images(image_models: ModelCache) -> None:
    flags = iter([True, False])
    generator = ImageGenerator(image_models, safety_checker=lambda images: [next(flags) for _ in images])
    flagged, clean = generator.generate(pop(n=2, use_nsfw_censor=True))
    assert (flagged.state, clean.state) == ("censored", "ok")
    assert flagged.metadata[0].value == "nsfw"
    assert pixels(clean.image).max() > 0


def test_unknown_sampler_falls_back(image_generator: ImageGenerator) -> None:
    [result] = image_generator.generate(pop(sampler_name="k_dpm_adaptive"))
    assert result.state == "ok"


@pytest.mark.parametrize(
    ("seed", "expected"), [("42", 42), (42, 42), ("-1", 2**32 - 1), (2**32 + 5, 5), ("cat", parse_seed("cat"))]
)
def test_parse_seed(seed: str | int, expected: int) -> None:
    assert parse_seed(seed) == expected
    assert 0 <= parse_seed(seed) < 2**32


def test_job_seeds_and_prompt_split() -> None:
    assert job_seeds("4294967295", 2) == [4294967295, 0]
    assert split_prompt("a cat ### dog, blur") == ("a cat", "dog, blur")
    assert split_prompt("a cat") == ("a cat", None)
