"""Image generation for one popped job: txt2img, img2img and inpainting with diffusers.

What a job gets:
- the seed is the payload's (an int, a numeric string, or any text, hashed below 2**32); with ``n_iter`` > 1 the
  i-th image uses ``seed + i``, each with its own generator, so a batched image equals the one made alone with its
  seed (within float rounding) and the same seed always gives the same image;
- ``prompt`` splits at ``###`` into prompt and negative prompt; ``cfg_scale``, ``ddim_steps``, ``sampler_name`` and
  ``karras`` (see :mod:`horde.worker.pipelines.samplers`), ``clip_skip`` (AI Horde's 1 means no skip);
- ``tiling`` switches every convolution of the UNet and VAE to circular padding for the job;
- ``source_processing`` ``img2img`` uses ``denoising_strength``; ``inpainting`` and ``outpainting`` repaint the white
  part of ``source_mask``, or the transparent part of the source image when there is no mask;
- images are generated ``max_batch`` at a time in one pipeline call;
- LoRAs only when a LoRA folder is configured (:mod:`horde.worker.loras`);
- ``post_processing`` (upscalers, face fixers with ``facefixer_strength``, strip_background) applied in the order
  given, after generation, with the post-processors this worker advertises (:mod:`horde.worker.alchemy`);
- the CSAM guard on every finished image when it runs (:mod:`horde.worker.safety`): a flagged image is replaced by
  a black one and submitted with state ``csam``; it never leaves the worker;
- censoring when the job asks for it (or always, on a worker without the guard): see :mod:`horde.worker.censor`
  (without a checker the worker fails closed).

Not done, and so not advertised in the pop request: ControlNet, hires fix (a job asking for ``hires_fix`` is
generated at its size in one pass).
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch
from PIL import Image

from horde.worker import api_models
from horde.worker.alchemy.postprocessors import PostProcessors
from horde.worker.censor import SafetyChecker, blank_like, censor
from horde.worker.imagefiles import encode_webp
from horde.worker.loras import LoraLibrary
from horde.worker.pipelines import samplers
from horde.worker.pipelines.loader import ModelCache

logger = logging.getLogger(__name__)

StepCallback = Callable[[int, int], None]  #: (steps done, total steps) of the current job
SEED_SPACE = 2**32
PAINTING = frozenset({"inpainting", "outpainting"})
CSAM_NOTE = api_models.GenMetadata(type="censorship", value="csam")


class Verdict(Protocol):
    """What an image guard says about one image."""

    @property
    def flagged(self) -> bool: ...


class ImageGuard(Protocol):
    """Checks finished images before they leave the worker (``horde.worker.safety.guard.CsamGuard``)."""

    def check(self, images: Sequence[Image.Image], prompt: str) -> Sequence[Verdict]: ...


@dataclass(frozen=True)
class SourceImages:
    """The decoded source image and mask of a job (None when absent)."""

    image: Image.Image | None = None
    mask: Image.Image | None = None


@dataclass(frozen=True)
class GeneratedImage:
    """One finished image, ready to upload and submit."""

    image: Image.Image
    webp: bytes
    seed: int
    state: api_models.SubmitState = "ok"
    metadata: list[api_models.GenMetadata] = field(default_factory=list)


def parse_seed(seed: str | int | None) -> int:
    """The integer seed: numbers as they are, other text hashed, none drawn at random; below 2**32."""
    if seed is None:
        return secrets.randbelow(SEED_SPACE)
    if isinstance(seed, int):
        return seed % SEED_SPACE
    text = seed.strip()
    if text.lstrip("-").isdigit():
        return int(text) % SEED_SPACE
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") % SEED_SPACE


def job_seeds(seed: str | int | None, count: int) -> list[int]:
    """The seed of each image of a batch: ``seed + i``."""
    base = parse_seed(seed)
    return [(base + index) % SEED_SPACE for index in range(count)]


def split_prompt(prompt: str) -> tuple[str, str | None]:
    """AI Horde's ``positive ### negative`` convention."""
    positive, separator, negative = prompt.partition("###")
    return positive.strip(), (negative.strip() or None) if separator else None


def inpainting_mask(sources: SourceImages) -> Image.Image:
    """The area to repaint, white: the given mask, or the source image's transparent pixels."""
    if sources.mask is not None:
        return sources.mask.convert("L")
    image = sources.image
    if image is None or "A" not in image.getbands():
        raise ValueError("inpainting needs a source_mask or a source image with an alpha channel")
    return Image.eval(image.getchannel("A"), lambda alpha: 255 - alpha)


@contextmanager
def circular_padding(*modules: Any) -> Iterator[None]:
    """Make every Conv2d of ``modules`` pad circularly (seamless tiling) until the block ends."""
    convs = [m for module in modules for m in module.modules() if isinstance(m, torch.nn.Conv2d)]
    previous = [conv.padding_mode for conv in convs]
    for conv in convs:
        conv.padding_mode = "circular"
    try:
        yield
    finally:
        for conv, mode in zip(convs, previous, strict=True):
            conv.padding_mode = mode


def prompt_arguments(pipe: Any, prompt: str, clip_skip: int) -> dict[str, Any]:
    """Pipeline arguments for the prompt, with AI Horde's ``clip_skip`` (1 = use the last CLIP layer).

    For single-encoder (SD 1.x/2.x) pipelines the skipped embeddings are computed here: diffusers 0.42's own
    ``clip_skip`` reads ``text_encoder.text_model``, which transformers 5 no longer has.
    """
    positive, negative = split_prompt(prompt)
    layers = int(getattr(pipe.text_encoder.config, "num_hidden_layers", 12))
    skip = min(clip_skip - 1, layers - 1)
    if skip <= 0:
        return {"prompt": positive, "negative_prompt": negative}
    if hasattr(pipe, "text_encoder_2"):
        return {"prompt": positive, "negative_prompt": negative, "clip_skip": skip}
    return {
        "prompt_embeds": clip_embeddings(pipe, positive, skip),
        "negative_prompt_embeds": clip_embeddings(pipe, negative or "", skip),
    }


def clip_embeddings(pipe: Any, text: str, skip: int) -> torch.Tensor:
    """CLIP text embeddings taken ``skip`` layers before the last, through the final layer norm."""
    tokenizer, encoder = pipe.tokenizer, pipe.text_encoder
    tokens = tokenizer(
        text, padding="max_length", max_length=tokenizer.model_max_length, truncation=True, return_tensors="pt"
    )
    with torch.no_grad():
        output = encoder(tokens.input_ids.to(encoder.device), output_hidden_states=True)
        final_norm = getattr(encoder, "text_model", encoder).final_layer_norm
        hidden: torch.Tensor = final_norm(output.hidden_states[-(skip + 1)])
    return hidden.to(encoder.dtype)


class ImageGenerator:
    """Runs image jobs on the models of a :class:`ModelCache`, one pipeline call at a time."""

    def __init__(
        self,
        models: ModelCache,
        *,
        max_batch: int = 4,
        loras: LoraLibrary | None = None,
        safety_checker: SafetyChecker | None = None,
        post_processors: PostProcessors | None = None,
        guard: ImageGuard | None = None,
        always_censor: bool = False,
    ) -> None:
        self.models = models
        self.max_batch = max_batch
        self.loras = loras
        self.safety_checker = safety_checker
        self.post_processors = post_processors
        self.guard = guard
        self.always_censor = always_censor  #: censor every image (a worker without the CSAM guard)
        self._scheduler_configs: dict[str, Any] = {}
        self._variants: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def generate(
        self, job: api_models.ImagePopResponse, sources: SourceImages | None = None, on_step: StepCallback | None = None
    ) -> list[GeneratedImage]:
        """Generate every image of ``job`` (one per job id, at least one)."""
        if job.model is None:
            raise ValueError("the pop response carries no job")
        payload = job.payload
        missing = [name for name in payload.post_processing if name not in self.post_processor_names]
        if missing:
            raise ValueError(f"post-processors not served here: {', '.join(missing)}")
        count = max(len(job.job_ids), 1)
        seeds = job_seeds(payload.seed, count)
        with self._lock:
            pipe, call = self._prepare(job, sources or SourceImages())
            loras: AbstractContextManager[list[api_models.GenMetadata]]
            loras = self.loras.applied(pipe, payload.loras) if self.loras and payload.loras else nullcontext([])
            tiling: AbstractContextManager[None]
            tiling = circular_padding(pipe.unet, pipe.vae) if payload.tiling else nullcontext()
            with loras as skipped, tiling:
                images = self._run(pipe, call, seeds, on_step)
            if payload.post_processing and self.post_processors is not None:
                strength = payload.facefixer_strength
                images = [
                    self.post_processors.apply(image, payload.post_processing, facefixer_strength=strength)
                    for image in images
                ]
        return self._finish(images, seeds, payload, list(skipped))

    @property
    def post_processor_names(self) -> list[str]:
        """The post-processors image jobs may ask for here."""
        return self.post_processors.names if self.post_processors is not None else []

    def _prepare(self, job: api_models.ImagePopResponse, sources: SourceImages) -> tuple[Any, dict[str, Any]]:
        payload, model = job.payload, job.model or ""
        mode = "txt2img"
        if sources.image is not None:
            mode = "inpainting" if job.source_processing in PAINTING else "img2img"
        pipe = self._pipeline(model, mode)
        pipe.scheduler = samplers.make_scheduler(
            payload.sampler_name, self._scheduler_configs[model], karras=payload.karras
        )
        call: dict[str, Any] = {
            "num_inference_steps": payload.ddim_steps,
            "guidance_scale": payload.cfg_scale,
            **prompt_arguments(pipe, payload.prompt, payload.clip_skip),
        }
        size = (payload.width, payload.height)
        if sources.image is None:
            call.update(width=payload.width, height=payload.height)
        elif mode == "img2img":
            call.update(image=sources.image.convert("RGB").resize(size), strength=payload.denoising_strength or 0.75)
        else:
            call.update(
                image=sources.image.convert("RGB").resize(size),
                mask_image=inpainting_mask(sources).resize(size),
                width=payload.width,
                height=payload.height,
                strength=1.0,
            )
        return pipe, call

    def _pipeline(self, model: str, mode: str) -> Any:
        base = self.models.get(model)
        self._scheduler_configs.setdefault(model, base.scheduler.config)
        if mode == "txt2img":
            return base
        key = (model, mode)
        if key not in self._variants:
            diffusers = importlib.import_module("diffusers")
            variant = (
                diffusers.AutoPipelineForInpainting if mode == "inpainting" else diffusers.AutoPipelineForImage2Image
            )
            self._variants[key] = variant.from_pipe(base)
            self._variants[key].set_progress_bar_config(disable=True)
        return self._variants[key]

    def _run(
        self, pipe: Any, call: dict[str, Any], seeds: list[int], on_step: StepCallback | None
    ) -> list[Image.Image]:
        chunks = [seeds[start : start + self.max_batch] for start in range(0, len(seeds), self.max_batch)]
        images: list[Image.Image] = []
        device = pipe.device.type if hasattr(pipe, "device") else "cpu"
        for index, chunk in enumerate(chunks):

            def step_end(p: Any, step: int, _timestep: Any, tensors: dict[str, Any], done: int = index) -> Any:
                if on_step is not None:
                    per_chunk = int(getattr(p, "num_timesteps", 0) or 0) or step + 1
                    on_step(done * per_chunk + step + 1, per_chunk * len(chunks))
                return tensors

            generators = [torch.Generator(device).manual_seed(seed) for seed in chunk]
            result = pipe(**call, num_images_per_prompt=len(chunk), generator=generators, callback_on_step_end=step_end)
            images.extend(result.images)
        return images

    def _finish(
        self,
        images: list[Image.Image],
        seeds: list[int],
        payload: api_models.ImagePayload,
        extra: list[api_models.GenMetadata],
    ) -> list[GeneratedImage]:
        flagged = [v.flagged for v in self.guard.check(images, payload.prompt)] if self.guard else [False] * len(images)
        if len(flagged) != len(images):  # fail closed: the job faults, nothing unchecked is sent
            raise RuntimeError(f"the CSAM guard judged {len(flagged)} of {len(images)} images")
        kept = [index for index, bad in enumerate(flagged) if not bad]
        checked: dict[int, tuple[Image.Image, api_models.GenMetadata | None]] = {i: (images[i], None) for i in kept}
        if kept and (payload.use_nsfw_censor or self.always_censor):
            checked = dict(zip(kept, censor([images[i] for i in kept], self.safety_checker), strict=True))
        results = []
        for index, (image, seed) in enumerate(zip(images, seeds, strict=True)):
            if flagged[index]:
                logger.warning(
                    "the CSAM guard flagged image %d (seed %d): a black image is sent instead",
                    index,
                    seed,
                    extra={"action": "csam_flagged"},
                )
                black = blank_like(image)
                results.append(GeneratedImage(black, encode_webp(black), seed, "csam", [CSAM_NOTE]))
                continue
            final, note = checked[index]
            metadata = [*extra, *([note] if note else [])]
            state: api_models.SubmitState = "censored" if note else "ok"
            results.append(GeneratedImage(final, encode_webp(final), seed, state, metadata))
        return results
