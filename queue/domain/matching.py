"""Which worker may take which request, and, when it may not, the reason AI Horde reports as ``skipped``."""

from __future__ import annotations

import dataclasses
import enum


class Needs(enum.IntFlag):
    """What a request needs of a worker beyond its model and size; the queue index keeps it as an integer."""

    NONE = 0
    IMG2IMG = 1  #: a source image to transform
    PAINTING = 2  #: a source image and mask to inpaint or outpaint
    LORA = 4  #: LoRAs
    POST_PROCESSING = 8  #: post-processors


class SkipReason(enum.StrEnum):
    """Why a pop passed over a waiting request (AI Horde's ``skipped`` keys)."""

    MODELS = "models"  #: the request wants a model the worker does not serve
    MAX_PIXELS = "max_pixels"  #: the image is bigger than the worker's max_pixels
    NSFW = "nsfw"  #: the request allows NSFW and the worker does not
    UNTRUSTED = "untrusted"  #: the request wants trusted workers only
    WORKER_ID = "worker_id"  #: the request's allow or deny list excludes the worker
    IMG2IMG = "img2img"  #: the worker does not do img2img
    PAINTING = "painting"  #: the worker does not do inpainting
    LORA = "lora"  #: the worker does not do LoRAs
    POST_PROCESSING = "post-processing"  #: the worker does not post-process
    BLACKLIST = "blacklist"  #: the prompt contains a word on the worker's blacklist
    STEP_COUNT = "step_count"  #: the worker limits steps
    KUDOS = "kudos"  #: the worker wants requesters with kudos to spare
    MAX_LENGTH = "max_length"  #: the text is longer than the worker makes
    MAX_CONTEXT_LENGTH = "max_context_length"  #: the context is longer than the worker reads
    SAFETY = "safety"  #: the worker runs no CSAM guard and the request is not a censored, SFW one


@dataclasses.dataclass(frozen=True)
class WorkerProfile:
    """What a worker says it can do, from its pop."""

    worker_id: str
    owner_id: int
    models: frozenset[str]
    max_pixels: int = 262_144
    nsfw: bool = True
    trusted: bool = False
    allow_img2img: bool = True
    allow_painting: bool = True
    allow_lora: bool = False
    allow_post_processing: bool = True
    post_processors: frozenset[str] | None = None  #: the ones it runs; None: all (AI Horde's workers say no more)
    csam_guard: bool = True  #: it checks its images for CSAM (AI Horde's workers do: they say nothing)
    limit_max_steps: bool = False
    require_upfront_kudos: bool = False
    blacklist: frozenset[str] = frozenset()
    max_length: int = 512
    max_context_length: int = 2048


@dataclasses.dataclass(frozen=True)
class RequestNeeds:
    """What a waiting request needs of a worker (denormalised into the queue index)."""

    request_id: str
    user_id: int
    models: frozenset[str]  #: empty: any model
    pixels: int = 0
    nsfw: bool = False
    trusted_only: bool = False
    worker_ids: frozenset[str] = frozenset()
    worker_blacklist: bool = False
    needs_img2img: bool = False
    needs_painting: bool = False
    needs_lora: bool = False
    needs_post_processing: bool = False
    post_processing: frozenset[str] = frozenset()  #: the post-processors it asks for
    censored_sfw: bool = False  #: it allows no NSFW and asks for censoring (a guard-less worker may take it)
    accurate_steps: int = 0
    prompt: str = ""
    requester_has_spare_kudos: bool = True
    max_length: int = 0
    max_context_length: int = 0


def skip_reason(worker: WorkerProfile, need: RequestNeeds) -> SkipReason | None:  # noqa: C901
    """``None`` when the worker may take the request, else the first reason it may not (one flat list of rules)."""
    if need.models and not (need.models & worker.models):
        return SkipReason.MODELS
    if need.worker_ids:
        listed = worker.worker_id in need.worker_ids
        if listed == need.worker_blacklist:
            return SkipReason.WORKER_ID
    if need.nsfw and not worker.nsfw:
        return SkipReason.NSFW
    if need.trusted_only and not worker.trusted:
        return SkipReason.UNTRUSTED
    if need.pixels > worker.max_pixels:
        return SkipReason.MAX_PIXELS
    if need.needs_painting and not worker.allow_painting:
        return SkipReason.PAINTING
    if need.needs_img2img and not worker.allow_img2img:
        return SkipReason.IMG2IMG
    if need.needs_lora and not worker.allow_lora:
        return SkipReason.LORA
    if need.needs_post_processing and not worker.allow_post_processing:
        return SkipReason.POST_PROCESSING
    if worker.post_processors is not None and not need.post_processing <= worker.post_processors:
        return SkipReason.POST_PROCESSING
    if not worker.csam_guard and not need.censored_sfw:
        return SkipReason.SAFETY
    if worker.limit_max_steps and need.accurate_steps > 30:
        return SkipReason.STEP_COUNT
    if worker.blacklist and any(word in need.prompt.lower() for word in worker.blacklist):
        return SkipReason.BLACKLIST
    if worker.require_upfront_kudos and not need.requester_has_spare_kudos and need.user_id != worker.owner_id:
        return SkipReason.KUDOS
    if need.max_length > worker.max_length:
        return SkipReason.MAX_LENGTH
    if need.max_context_length > worker.max_context_length:
        return SkipReason.MAX_CONTEXT_LENGTH
    return None


def choose_model(worker: WorkerProfile, need: RequestNeeds) -> str:
    """The model the worker runs for this request: the first requested model it serves (any, if none asked)."""
    for model in sorted(need.models):
        if model in worker.models:
            return model
    return sorted(worker.models)[0] if worker.models else ""


def batch_size(worker_max_pixels: int, amount: int, pixels: int, waiting: int) -> int:
    """How many images of one request a worker asking for ``amount`` gets in one pop (reference §3.2 step 5)."""
    if amount <= 1 or pixels <= 0:
        return 1
    fits = round((worker_max_pixels / 3.5 * amount) / pixels)
    return max(1, min(fits, amount, waiting))
