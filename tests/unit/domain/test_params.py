from __future__ import annotations

import pytest

from horde.queue import errors
from horde.queue.domain import params


def test_defaults_follow_ai_horde() -> None:
    p = params.parse_image_params({})
    assert (p.width, p.height, p.steps, p.n, p.sampler_name, p.cfg_scale, p.karras) == (
        512,
        512,
        30,
        1,
        "k_euler_a",
        5.0,
        True,
    )


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ({"width": 100}, errors.InvalidSizeError),
        ({"height": 4096}, errors.InvalidSizeError),
        ({"width": "512"}, errors.InvalidSizeError),
        ({"steps": 501}, errors.TooManyStepsError),
        ({"steps": 0}, errors.ValidationError),
        ({"n": 21}, errors.ValidationError),
        ({"cfg_scale": 7.555}, errors.ValidationError),
        ({"sampler_name": "k_magic"}, errors.UnsupportedSamplerError),
        ({"post_processing": ["RealESRGAN_x4plus", "NMKD_Siax"]}, errors.TooManyUpscalersError),
        ({"post_processing": ["nope"]}, errors.ValidationError),
        ({"loras": [{"name": str(i)} for i in range(6)]}, errors.ValidationError),
        ({"clip_skip": 13}, errors.ValidationError),
        ({"denoising_strength": 0}, errors.ValidationError),
        ({"seed": "a\x00b"}, errors.NulByteError),
    ],
)
def test_bad_image_params_are_rejected(raw: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        params.parse_image_params(raw)


def test_validation_errors_name_the_field() -> None:
    with pytest.raises(errors.InvalidSizeError) as caught:
        params.parse_image_params({"width": 65})
    assert caught.value.field_errors == {"width": "must be a multiple of 64, 64-3072"}


def test_prompt_checks() -> None:
    assert params.check_prompt("a cat") == "a cat"
    with pytest.raises(errors.MissingPromptError):
        params.check_prompt("   ")
    with pytest.raises(errors.NulByteError):
        params.check_prompt("a\x00cat")
    with pytest.raises(errors.InvalidPromptSizeError):
        params.check_prompt("word " * 7501)


def test_text_params() -> None:
    assert params.parse_text_params({}).max_length == 80
    with pytest.raises(errors.TokenOverflowError):
        params.parse_text_params({"max_length": 512, "max_context_length": 256})


def test_seeds() -> None:
    fixed = params.parse_image_params({"seed": "42"})
    assert [params.seed_for_job(fixed, i, 7) for i in range(3)] == [42, 42, 42]
    varied = params.parse_image_params({"seed": "42", "seed_variation": 10})
    assert [params.seed_for_job(varied, i, 7) for i in range(3)] == [42, 52, 62]
    assert params.seed_for_job(params.parse_image_params({}), 0, 7) == 7
    text_seed = params.parse_image_params({"seed": "hello"})
    assert params.seed_for_job(text_seed, 0, 7) == params.seed_for_job(text_seed, 1, 9) < 2**32
