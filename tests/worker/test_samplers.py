from __future__ import annotations

import importlib.util

import pytest

from horde.worker import api_models
from horde.worker.generate import ImageGenerator
from horde.worker.pipelines import samplers
from horde.worker.pipelines.loader import ModelCache
from tests.worker.fakes import DIFFUSERS_NUMPY2_WARNINGS, image_job

pytestmark = DIFFUSERS_NUMPY2_WARNINGS

AI_HORDE_SAMPLERS = [
    "k_lms", "k_heun", "k_euler", "k_euler_a", "k_dpm_2", "k_dpm_2_a", "k_dpm_fast", "k_dpm_adaptive",
    "k_dpmpp_2s_a", "k_dpmpp_2m", "dpmsolver", "k_dpmpp_sde", "DDIM", "lcm",
]  # fmt: skip


def test_every_ai_horde_sampler_is_known_and_only_adaptive_unsupported() -> None:
    assert sorted(samplers.KNOWN_SAMPLERS) == sorted(AI_HORDE_SAMPLERS)
    unsupported = {"k_dpm_adaptive"} | (set() if importlib.util.find_spec("scipy") else {"k_lms"})
    assert set(AI_HORDE_SAMPLERS) - set(samplers.supported_samplers()) == unsupported


def test_unsupported_sampler_resolves_to_the_fallback() -> None:
    assert samplers.resolve("k_dpm_adaptive")[0] == samplers.FALLBACK
    assert samplers.resolve("no_such")[0] == samplers.FALLBACK


def test_karras_sigmas_where_supported(image_models: ModelCache) -> None:
    config = image_models.get("tiny").scheduler.config
    assert samplers.make_scheduler("k_euler", config, karras=True).config.use_karras_sigmas is True
    assert samplers.make_scheduler("k_euler", config, karras=False).config.use_karras_sigmas is False
    dpm = samplers.make_scheduler("k_dpmpp_2m", config, karras=True)
    assert type(dpm).__name__ == "DPMSolverMultistepScheduler"
    assert (dpm.config.algorithm_type, dpm.config.use_karras_sigmas) == ("dpmsolver++", True)
    assert type(samplers.make_scheduler("DDIM", config, karras=True)).__name__ == "DDIMScheduler"


@pytest.mark.parametrize("name", samplers.supported_samplers())
def test_each_supported_sampler_generates(image_generator: ImageGenerator, name: str) -> None:
    job = api_models.ImagePopResponse.model_validate(image_job(sampler_name=name, cfg_scale=1.0, ddim_steps=2))
    [result] = image_generator.generate(job)
    assert result.image.size == (64, 64)
