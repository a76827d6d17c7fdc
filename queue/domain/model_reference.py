"""The image models the horde knows, each with its baseline: what prices an image and what uptime pays for.

A worker's word about a model (the name it advertises) prices nothing: an unknown model costs and earns as SD 1.x,
and earns no uptime. The bundled list holds the models most served on the AI Horde; an operator adds others with a
file in the AI Horde's model-reference format (``HORDE_MODEL_REFERENCE_FILE``: ``{"Name": {"baseline": "…"}}``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

#: what one image of a baseline costs next to SD 1.x (reference §2.1)
BASELINE_MULTIPLIERS: Mapping[str, float] = {
    "stable_diffusion_1": 1.0,
    "stable_diffusion_2_512": 1.0,
    "stable_diffusion_2_768": 1.0,
    "stable_diffusion_xl": 2.0,
    "stable_cascade": 4.0,
    "flux_1": 8.0,
    "z_image_turbo": 8.0,
    "qwen_image": 12.0,
}

SD1, SDXL = "stable_diffusion_1", "stable_diffusion_xl"
BUNDLED: Mapping[str, str] = {
    "tiny": SD1,  # the random-weight pipeline of tests and the offline demo
    "stable_diffusion": SD1,
    "Deliberate": SD1,
    "Dreamshaper": SD1,
    "ICBINP - I Can't Believe It's Not Photography": SD1,
    "Realistic Vision": SD1,
    "Anything Diffusion": SD1,
    "AbsoluteReality": SD1,
    "majicMIX realistic": SD1,
    "stable_diffusion_2.1": "stable_diffusion_2_768",
    "SDXL 1.0": SDXL,
    "AlbedoBase XL (SDXL)": SDXL,
    "Juggernaut XL": SDXL,
    "Pony Diffusion XL": SDXL,
    "DreamShaper XL": SDXL,
    "Animagine XL": SDXL,
    "Stable Cascade 1.0": "stable_cascade",
    "Flux.1-Schnell fp8 (Compact)": "flux_1",
    "Flux.1-Schnell fp16 (Compact)": "flux_1",
    "Z-Image-Turbo": "z_image_turbo",
    "Qwen-Image": "qwen_image",
}


@dataclasses.dataclass(frozen=True)
class ModelReference:
    baselines: Mapping[str, str] = dataclasses.field(default_factory=lambda: dict(BUNDLED))

    @classmethod
    def with_file(cls, data: Mapping[str, Any]) -> ModelReference:
        """The bundled models plus those of a model-reference file (entries without a known baseline are skipped)."""
        extra = {
            str(name): str(entry["baseline"])
            for name, entry in data.items()
            if isinstance(entry, Mapping) and entry.get("baseline") in BASELINE_MULTIPLIERS
        }
        return cls({**BUNDLED, **extra})

    def knows(self, model: str) -> bool:
        return model in self.baselines

    def multiplier(self, model: str) -> float:
        """What an image of ``model`` costs next to SD 1.x; 1 for a model the horde does not know."""
        return BASELINE_MULTIPLIERS.get(self.baselines.get(model, ""), 1.0)

    def price_multiplier(self, models: Iterable[str]) -> float:
        """A request's: the dearest model it allows, since any of them may serve it (1 when it names none)."""
        return max((self.multiplier(m) for m in models), default=1.0)
