"""Models of image generation (``/v2/generate/…``): the ask, its status, a worker's pop and submit, and ratings.
The pop and submit bases and the status check are shared with text generation."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from horde.webapp.api.schemas.base import Input, Output

SAMPLERS = Literal[
    "k_lms",
    "k_heun",
    "k_euler",
    "k_euler_a",
    "k_dpm_2",
    "k_dpm_2_a",
    "k_dpm_fast",
    "k_dpm_adaptive",
    "k_dpmpp_2s_a",
    "k_dpmpp_2m",
    "dpmsolver",
    "k_dpmpp_sde",
    "DDIM",
    "lcm",
]


class ModelPayloadLoras(Input):
    name: str = Field(min_length=1, max_length=255)
    model: float = Field(1.0, ge=-5, le=5)
    clip: float = Field(1.0, ge=-5, le=5)
    inject_trigger: str | None = Field(None, max_length=30)
    is_version: bool = False


class ModelPayloadTextualInversions(Input):
    name: str = Field(min_length=1, max_length=255)
    inject_ti: Literal["prompt", "negprompt"] | None = None
    strength: float = Field(1.0, ge=-5, le=5)


class ModelGenerationInputStable(Input):
    sampler_name: SAMPLERS = "k_euler_a"
    cfg_scale: float = Field(5.0, ge=0, le=100)
    denoising_strength: float = Field(0.75, ge=0.01, le=1)
    seed: str | None = Field(None, max_length=256, description="A number, or text hashed to one.")
    height: int = Field(512, ge=64, le=3072, multiple_of=64)
    width: int = Field(512, ge=64, le=3072, multiple_of=64)
    seed_variation: int | None = Field(None, ge=1, le=1000)
    post_processing: list[str] = Field(default_factory=list, max_length=10)
    karras: bool = True
    tiling: bool = False
    hires_fix: bool = False
    clip_skip: int = Field(1, ge=1, le=12)
    control_type: (
        Literal["canny", "hed", "depth", "normal", "openpose", "seg", "scribble", "fakescribbles", "hough"] | None
    ) = None
    facefixer_strength: float | None = Field(None, ge=0, le=1)
    loras: list[ModelPayloadLoras] = Field(default_factory=list, max_length=5)
    tis: list[ModelPayloadTextualInversions] = Field(default_factory=list, max_length=20)
    steps: int = Field(30, ge=1, le=500)
    n: int = Field(1, ge=1, le=20)


class GenerationInputStable(Input):
    prompt: str = Field(min_length=1, max_length=100_000, description="The prompt; a negative prompt follows ###.")
    params: ModelGenerationInputStable | None = None
    nsfw: bool = False
    trusted_workers: bool = False
    slow_workers: bool = True
    extra_slow_workers: bool = False
    censor_nsfw: bool = False
    workers: list[str] = Field(default_factory=list, max_length=20)
    worker_blacklist: bool = False
    models: list[str] = Field(default_factory=list, max_length=100)
    source_image: str | None = Field(None, description="base64 webp/png/jpeg.")
    source_processing: Literal["img2img", "inpainting", "outpainting"] = "img2img"
    source_mask: str | None = None
    r2: bool = True
    shared: bool = False
    replacement_filter: bool = True
    dry_run: bool = False
    disable_batching: bool = False
    allow_downgrade: bool = False
    style: str | None = Field(None, min_length=3, max_length=1024, description="A style's id or name.")


class RequestAsyncWarning(Output):
    code: str
    message: str


class RequestAsync(Output):
    id: str
    kudos: float
    message: str | None = None
    warnings: list[RequestAsyncWarning] = Field(default_factory=list)


class DryRunKudos(Output):
    kudos: float


class RequestStatusCheck(Output):
    finished: int
    processing: int
    restarted: int
    waiting: int
    done: bool
    faulted: bool
    wait_time: int
    queue_position: int
    kudos: float
    is_possible: bool


class GenerationMetadataStable(Output):
    type: str
    value: str
    ref: str | None = None


class GenerationStable(Output):
    worker_id: str
    worker_name: str
    model: str
    state: Literal["ok", "censored", "csam", "faulted"]
    img: str = Field(description="A download URL (r2: true) or base64 webp (r2: false).")
    seed: str
    id: str
    censored: bool
    gen_metadata: list[dict[str, Any]] = Field(default_factory=list)


class RequestStatusStable(RequestStatusCheck):
    generations: list[GenerationStable]
    shared: bool


class PopInput(Input):
    name: str = Field(min_length=1, max_length=100)
    priority_usernames: list[str] = Field(default_factory=list, max_length=20)
    nsfw: bool = True
    models: list[str] = Field(default_factory=list, max_length=300)
    bridge_agent: str = Field("unknown:0:unknown", max_length=1000)
    threads: int = Field(1, ge=1, le=50)
    require_upfront_kudos: bool = False
    amount: int = Field(1, ge=1, le=20)
    extra_slow_worker: bool = False
    blacklist: list[str] = Field(default_factory=list, max_length=200)


class PopInputStable(PopInput):
    max_pixels: int = Field(262_144, ge=4096, le=100_000_000)
    allow_img2img: bool = True
    allow_painting: bool = True
    allow_unsafe_ipaddr: bool = True
    allow_post_processing: bool = True
    post_processors: list[str] | None = Field(
        None, max_length=30, description="Horde: the post-processors this worker runs (absent: all of them)."
    )
    csam_guard: bool | None = Field(
        None,
        description="Horde: whether this worker checks its images for CSAM; without it, it is given only "
        "requests that allow no NSFW and ask for censoring (absent: it does, as AI Horde's workers).",
    )
    allow_controlnet: bool = False
    allow_sdxl_controlnet: bool = False
    allow_lora: bool = False
    limit_max_steps: bool = False


class GenerationPayloadStable(Output):
    prompt: str | None = None
    ddim_steps: int | None = None
    n_iter: int | None = None
    seed: str | None = None
    sampler_name: str | None = None
    cfg_scale: float | None = None
    denoising_strength: float | None = None
    width: int | None = None
    height: int | None = None
    karras: bool | None = None
    tiling: bool | None = None
    hires_fix: bool | None = None
    clip_skip: int | None = None
    seed_variation: int | None = None
    post_processing: list[str] | None = None
    loras: list[dict[str, Any]] | None = None
    control_type: str | None = None
    use_nsfw_censor: bool | None = None


class GenerationPopStable(Output):
    payload: GenerationPayloadStable
    id: str | None = None
    ids: list[str]
    model: str | None = None
    ttl: int | None = None
    skipped: dict[str, int]
    source_image: str | None = None
    source_processing: str | None = None
    source_mask: str | None = None
    r2_upload: str | None = None
    r2_uploads: list[str] | None = None
    messages: list[dict[str, Any]] = Field(default_factory=list)


class SubmitInput(Input):
    id: str = Field(min_length=1, max_length=64)
    generation: str = Field("", max_length=40_000_000)
    state: Literal["ok", "censored", "faulted", "csam"] = "ok"
    seed: int = Field(0, ge=-(2**63), le=2**64)
    censored: bool = False
    gen_metadata: list[dict[str, Any]] = Field(default_factory=list, max_length=50)


class GenerationSubmitted(Output):
    reward: float


class AestheticRating(Input):
    id: str = Field(min_length=1, max_length=64)
    rating: int = Field(ge=1, le=10)
    artifacts: int | None = Field(None, ge=0, le=5)


class AestheticsPayload(Input):
    best: str | None = Field(None, max_length=64)
    ratings: list[AestheticRating] = Field(default_factory=list, max_length=20)


class GenerationRated(Output):
    reward: float
    message: str = "Rated"
