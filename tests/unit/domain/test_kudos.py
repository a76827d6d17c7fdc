from __future__ import annotations

import pytest

from horde.queue.domain import kudos, params
from horde.queue.domain.model_reference import ModelReference
from horde.queue.domain.roles import AccountKind


def image(**kwargs: object) -> params.ImageParams:
    return params.parse_image_params(kwargs)


@pytest.mark.parametrize(
    ("request_params", "expected"),
    [
        ({"width": 512, "height": 512, "steps": 30}, 7.61),  # AI Horde: 7.61
        ({"width": 512, "height": 512, "steps": 50}, 10.98),  # AI Horde: 10.98
        ({"width": 1024, "height": 1024, "steps": 30}, 20.99),  # AI Horde: 20.99
        ({"width": 1024, "height": 1024, "steps": 20}, 15.98),  # AI Horde: 15.98
    ],
)
def test_price_is_calibrated_to_ai_horde(request_params: dict[str, int], expected: float) -> None:
    assert kudos.image_base_cost(image(**request_params)) == pytest.approx(expected, rel=0.02)


def test_price_grows_with_every_costly_option() -> None:
    base = kudos.image_base_cost(image())
    assert kudos.image_base_cost(image(sampler_name="k_heun")) > base * 1.5  # two model calls a step
    assert kudos.image_base_cost(image(hires_fix=True)) > base
    assert kudos.image_base_cost(image(post_processing=["RealESRGAN_x4plus"])) > base
    assert kudos.image_base_cost(image(loras=[{"name": "x"}])) == pytest.approx(base + 3)
    assert kudos.image_base_cost(image(), has_source=True) < base  # img2img runs fewer steps


def test_charge_adds_tax_and_burns() -> None:
    p = image()
    plain = kudos.image_charge(10, p.post_processing, has_source=False, slow_workers=True, worker_blacklist=False)
    assert plain == 11
    assert kudos.image_charge(10, p.post_processing, has_source=True, slow_workers=True, worker_blacklist=False) == 14
    assert kudos.image_charge(
        10, p.post_processing, has_source=False, slow_workers=False, worker_blacklist=False
    ) == pytest.approx(13.2)
    assert (
        kudos.image_charge(
            10, p.post_processing, has_source=False, slow_workers=True, worker_blacklist=False, censored=True
        )
        == 1
    )


def test_estimate_counts_every_image_and_the_request_tax() -> None:
    one = kudos.image_estimate(image(n=1), 1.0, has_source=False, slow_workers=True, worker_blacklist=False)
    four = kudos.image_estimate(image(n=4), 1.0, has_source=False, slow_workers=True, worker_blacklist=False)
    assert four - 1 == pytest.approx((one - 1) * 4)


def test_bigger_baselines_cost_more_and_only_the_reference_says_which() -> None:
    models = ModelReference()
    assert kudos.image_worker_reward(10, models.multiplier("SDXL 1.0")) == 20
    assert kudos.image_worker_reward(10, models.multiplier("Flux.1-Schnell fp8 (Compact)")) == 80
    assert kudos.image_worker_reward(10, models.multiplier("stable_diffusion")) == 10
    assert models.multiplier("Qwen-Image-but-not-really") == 1  # a name alone prices nothing
    assert models.price_multiplier(["stable_diffusion", "SDXL 1.0"]) == 2  # the dearest model allowed
    assert models.price_multiplier([]) == 1
    extended = ModelReference.with_file({"My XL": {"baseline": "stable_diffusion_xl"}, "Odd": {"baseline": "?"}})
    assert extended.multiplier("My XL") == 2 and not extended.knows("Odd") and extended.knows("tiny")


def test_upfront_rule() -> None:
    assert not kudos.image_needs_upfront(image(), slow_workers=True, active_threads=0, queued=0)
    assert kudos.image_needs_upfront(image(), slow_workers=False, active_threads=0, queued=0)
    assert kudos.image_needs_upfront(image(steps=60), slow_workers=True, active_threads=0, queued=0)
    big = image(width=1024, height=1024)
    assert not kudos.image_needs_upfront(big, slow_workers=True, active_threads=0, queued=0)
    assert kudos.image_needs_upfront(big, slow_workers=True, active_threads=0, queued=600)  # a busy horde


def test_text_reward_and_floors() -> None:
    assert kudos.text_model_size("Llama-3-8B-Instruct") == 8
    assert kudos.text_model_size("tiny") == 1
    short = kudos.text_worker_reward("hi", "Llama-13B", 80, 1024)
    long = kudos.text_worker_reward("x" * 320, "Llama-13B", 80, 1024)
    assert long > short > 0
    assert kudos.floor_for(AccountKind.REGISTERED) == 25
    assert kudos.floor_for(AccountKind.PSEUDONYMOUS) == 14
    assert kudos.floor_for(AccountKind.ANONYMOUS) == -50


def test_ageing_rank_matches_ai_horde_increments() -> None:
    """AI Horde adds +50 every 10 s: a request 100 s older with 500 fewer kudos ranks the same."""
    old = kudos.queue_rank(100, created_epoch=1000, ageing_per_second=5)
    new_rich = kudos.queue_rank(600, created_epoch=1100, ageing_per_second=5)
    assert old == new_rich
    assert kudos.queue_rank(100, created_epoch=1000, ageing_per_second=5) > kudos.queue_rank(100, 1001, 5)
    assert kudos.initial_priority(5, flagged=True) == -100
    assert kudos.initial_priority(5000, flagged=True) == 5
