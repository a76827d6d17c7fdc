"""NSFW censoring of finished images, for jobs that ask for it (``use_nsfw_censor``).

With a safety checker configured (``safety_checker``: a local folder holding a diffusers
``StableDiffusionSafetyChecker`` and its ``CLIPImageProcessor`` feature extractor), flagged images are replaced by a
black image and submitted as ``censored`` with ``gen_metadata`` ``{type: censorship, value: nsfw}``.

No checker ships with the worker and none can be downloaded offline. **Without one, the worker fails closed:** every
image of a job that asks for censoring is replaced by a black image and submitted as ``censored`` with
``gen_metadata`` ``{type: censorship, value: see_ref, ref: "no safety checker on this worker"}``, because it cannot
prove the image is safe and a requester who asked for a censored result must never get an unchecked one. Such a
worker still serves every job that does not ask for censoring; it logs a warning at start so its owner knows. The
``nsfw`` pop flag is separate: it says whether the worker takes requests that allow NSFW content at all.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any, Protocol

from PIL import Image

from horde.worker import api_models

logger = logging.getLogger(__name__)

NO_CHECKER_REF = "no safety checker on this worker"


class SafetyChecker(Protocol):
    """Anything that tells, for each image, whether it is NSFW."""

    def __call__(self, images: list[Image.Image]) -> list[bool]: ...


class DiffusersSafetyChecker:
    """The Stable Diffusion safety checker loaded from a local folder (no download)."""

    def __init__(self, folder: Path, device: str = "cpu") -> None:
        checkers = importlib.import_module("diffusers.pipelines.stable_diffusion.safety_checker")
        transformers = importlib.import_module("transformers")
        self.device = device
        self.model: Any = checkers.StableDiffusionSafetyChecker.from_pretrained(folder, local_files_only=True).to(
            device
        )
        self.processor: Any = transformers.CLIPImageProcessor.from_pretrained(folder, local_files_only=True)

    def __call__(self, images: list[Image.Image]) -> list[bool]:
        import numpy as np
        import torch

        inputs = self.processor(images, return_tensors="pt").to(self.device)
        arrays = np.stack([np.asarray(image.convert("RGB"), dtype=np.float32) / 255 for image in images])
        with torch.no_grad():
            _, flags = self.model(images=arrays, clip_input=inputs.pixel_values.to(self.model.dtype))
        return [bool(flag) for flag in flags]


def censor(
    images: list[Image.Image], checker: SafetyChecker | None
) -> list[tuple[Image.Image, api_models.GenMetadata | None]]:
    """Each image, or a black one in its place, with the censorship metadata to submit (None when untouched)."""
    if checker is None:
        note = api_models.GenMetadata(type="censorship", value="see_ref", ref=NO_CHECKER_REF)
        return [(blank_like(image), note) for image in images]
    flags = checker(images)
    nsfw = api_models.GenMetadata(type="censorship", value="nsfw")
    return [(blank_like(image), nsfw) if flag else (image, None) for image, flag in zip(images, flags, strict=True)]


def blank_like(image: Image.Image) -> Image.Image:
    """A black RGB image of the same size."""
    return Image.new("RGB", image.size)
