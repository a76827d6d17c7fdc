"""AI Horde sampler names mapped to diffusers schedulers.

Each name maps to a scheduler class plus config overrides. ``exact`` says whether the diffusers scheduler is the
same algorithm as the k-diffusion sampler the name comes from, or the closest one diffusers has. ``k_dpm_adaptive``
(adaptive step size) has no diffusers counterpart, and ``k_lms`` needs scipy: it is reported unsupported, and a job asking for it runs with
:data:`FALLBACK` instead. ``karras`` switches on Karras sigmas where the scheduler supports them.
"""

from __future__ import annotations

import importlib.util
import inspect
import logging
from dataclasses import dataclass, field
from typing import Any

import diffusers

logger = logging.getLogger(__name__)

FALLBACK = "k_euler_a"


@dataclass(frozen=True)
class SamplerSpec:
    """How one AI Horde sampler name is run with diffusers."""

    scheduler: str  #: diffusers scheduler class name
    options: dict[str, Any] = field(default_factory=dict)
    exact: bool = True  #: False when diffusers only has a close relative
    needs: tuple[str, ...] = ()  #: extra packages the scheduler imports

    @property
    def available(self) -> bool:
        """Whether the packages it needs are installed."""
        return all(importlib.util.find_spec(package) is not None for package in self.needs)


SAMPLERS: dict[str, SamplerSpec] = {
    "k_lms": SamplerSpec("LMSDiscreteScheduler", needs=("scipy",)),
    "k_heun": SamplerSpec("HeunDiscreteScheduler"),
    "k_euler": SamplerSpec("EulerDiscreteScheduler"),
    "k_euler_a": SamplerSpec("EulerAncestralDiscreteScheduler"),
    "k_dpm_2": SamplerSpec("KDPM2DiscreteScheduler"),
    "k_dpm_2_a": SamplerSpec("KDPM2AncestralDiscreteScheduler"),
    "k_dpm_fast": SamplerSpec("DPMSolverSinglestepScheduler", {"solver_order": 3}, exact=False),
    "k_dpmpp_2s_a": SamplerSpec(
        "DPMSolverSinglestepScheduler", {"solver_order": 2, "algorithm_type": "dpmsolver++"}, exact=False
    ),
    "k_dpmpp_2m": SamplerSpec("DPMSolverMultistepScheduler", {"solver_order": 2, "algorithm_type": "dpmsolver++"}),
    # diffusers deprecates its plain "dpmsolver" algorithm; third-order DPM-Solver++ is the closest supported one.
    "dpmsolver": SamplerSpec(
        "DPMSolverMultistepScheduler", {"solver_order": 3, "algorithm_type": "dpmsolver++"}, exact=False
    ),
    "k_dpmpp_sde": SamplerSpec(
        "DPMSolverMultistepScheduler", {"solver_order": 2, "algorithm_type": "sde-dpmsolver++"}, exact=False
    ),
    "DDIM": SamplerSpec("DDIMScheduler"),
    "lcm": SamplerSpec("LCMScheduler"),
}

KNOWN_SAMPLERS = (*SAMPLERS, "k_dpm_adaptive")


def supported_samplers() -> list[str]:
    """The AI Horde sampler names this worker can run (exactly or by the closest diffusers scheduler)."""
    return [name for name, spec in SAMPLERS.items() if spec.available]


def resolve(name: str) -> tuple[str, SamplerSpec]:
    """The sampler actually used for ``name``: itself when supported, else :data:`FALLBACK`."""
    if name in SAMPLERS and SAMPLERS[name].available:
        return name, SAMPLERS[name]
    logger.warning("sampler %r is not supported; using %s", name, FALLBACK, extra={"action": "sampler_replaced"})
    return FALLBACK, SAMPLERS[FALLBACK]


def make_scheduler(name: str, base_config: Any, *, karras: bool) -> Any:
    """A scheduler for AI Horde sampler ``name`` built from a pipeline's scheduler config."""
    _, spec = resolve(name)
    cls = getattr(diffusers, spec.scheduler)
    accepted = inspect.signature(cls.__init__).parameters
    options = {key: value for key, value in spec.options.items() if key in accepted}
    if "use_karras_sigmas" in accepted:
        options["use_karras_sigmas"] = karras
    return cls.from_config(base_config, **options)
