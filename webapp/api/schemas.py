"""Pydantic models of the API v2: they validate requests and describe responses, and ``swagger.py`` turns the same
classes into the Swagger 2.0 document. Names follow AI Horde's definitions, so clients that look them up find them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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


class Input(BaseModel):
    """A request body: unknown fields are ignored, as upstream does."""

    model_config = ConfigDict(extra="ignore")


class Output(BaseModel):
    """A response body."""


# --- errors ---------------------------------------------------------------------------------------------------


class RequestError(Output):
    message: str
    rc: str
    errors: dict[str, str] | None = Field(None, description="Per-field messages, on a validation failure only.")


# --- image generation -----------------------------------------------------------------------------------------


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


# --- text generation ------------------------------------------------------------------------------------------


class ModelGenerationInputKobold(Input):
    n: int = Field(1, ge=1, le=20)
    max_context_length: int = Field(2048, ge=80, le=1_048_576)
    max_length: int = Field(80, ge=16, le=4096)
    rep_pen: float = Field(1.1, ge=1, le=3)
    temperature: float = Field(0.7, ge=0, le=5)
    top_k: int = Field(100, ge=0, le=200)
    top_p: float = Field(0.92, ge=0.001, le=1)
    stop_sequence: list[str] = Field(default_factory=list, max_length=128)
    seed: int | None = Field(None, ge=0, le=2**32 - 1)


class GenerationInputKobold(Input):
    prompt: str = Field(min_length=1, max_length=1_000_000)
    params: ModelGenerationInputKobold | None = None
    softprompt: str | None = Field(None, max_length=255)
    trusted_workers: bool = False
    validated_backends: bool = False
    slow_workers: bool = True
    extra_slow_workers: bool = False
    workers: list[str] = Field(default_factory=list, max_length=20)
    worker_blacklist: bool = False
    models: list[str] = Field(default_factory=list, max_length=100)
    dry_run: bool = False
    disable_batching: bool = False
    allow_downgrade: bool = False
    style: str | None = Field(None, min_length=3, max_length=1024, description="A style's id or name.")


class GenerationKobold(Output):
    worker_id: str
    worker_name: str
    model: str
    state: Literal["ok", "censored", "csam", "faulted"]
    text: str
    seed: int
    gen_metadata: list[dict[str, Any]] = Field(default_factory=list)


class RequestStatusKobold(RequestStatusCheck):
    generations: list[GenerationKobold]


class PopInputKobold(PopInput):
    max_length: int = Field(512, ge=16, le=16_384)
    max_context_length: int = Field(2048, ge=80, le=1_048_576)
    softprompts: list[str] = Field(default_factory=list, max_length=50)


class GenerationPayloadKobold(Output):
    prompt: str | None = None
    n: int | None = None
    max_length: int | None = None
    max_context_length: int | None = None
    temperature: float | None = None
    top_k: int | None = None
    top_p: float | None = None
    rep_pen: float | None = None
    stop_sequence: list[str] | None = None


class GenerationPopKobold(Output):
    payload: GenerationPayloadKobold
    id: str | None = None
    ids: list[str]
    model: str | None = None
    softprompt: str | None = None
    ttl: int | None = None
    skipped: dict[str, int]
    messages: list[dict[str, Any]] = Field(default_factory=list)


class SubmitInputKobold(SubmitInput):
    pass


# --- users and kudos ------------------------------------------------------------------------------------------


class UserKudosDetails(Output):
    accumulated: float = 0
    gifted: float = 0
    admin: float = 0
    received: float = 0
    recurring: float = 0
    awarded: float = 0


class UserDetails(Output):
    username: str
    id: int
    kudos: float
    concurrency: int
    worker_count: int
    account_age: int
    moderator: bool
    trusted: bool
    flagged: bool
    suspicious: int = 0
    pseudonymous: bool
    service: bool = False
    education: bool = False
    customizer: bool = False
    worker_invited: int = 0
    sharedkey_ids: list[str] | None = None


class UsersQuery(Input):
    page: int = Field(1, ge=1, le=10_000)
    sort: Literal["kudos", "age"] = "kudos"


class ModifyUserInput(Input):
    kudos: float | None = Field(None, ge=-1_000_000_000, le=1_000_000_000)
    concurrency: int | None = Field(None, ge=1, le=1000)
    moderator: bool | None = None
    trusted: bool | None = None
    flagged: bool | None = None
    username: str | None = Field(None, min_length=1, max_length=100)
    contact: str | None = Field(None, max_length=500)


class ModifyUser(Output):
    new_kudos: float | None = None
    concurrency: int | None = None
    moderator: bool | None = None
    trusted: bool | None = None
    flagged: bool | None = None
    new_username: str | None = None
    contact: str | None = None


class KudosTransferInput(Input):
    username: str = Field(min_length=1, max_length=120)
    amount: float = Field(100, gt=0, le=1_000_000_000)


class KudosTransferred(Output):
    transferred: float


class SharedKeyInput(Input):
    kudos: int | None = Field(None, ge=-1, le=50_000_000)
    expiry: int | None = Field(None, ge=-1, le=3650)
    name: str | None = Field(None, min_length=3, max_length=255)
    max_image_pixels: int | None = Field(None, ge=-1, le=4_194_304)
    max_image_steps: int | None = Field(None, ge=-1, le=500)
    max_text_tokens: int | None = Field(None, ge=-1, le=500)


class SharedKeyDetails(Output):
    id: str
    username: str
    name: str
    kudos: int
    expiry: str | None = None
    utilized: int
    max_image_pixels: int
    max_image_steps: int
    max_text_tokens: int


class SimpleResponse(Output):
    message: str = "OK"


# --- workers and teams ----------------------------------------------------------------------------------------


class WorkersQuery(Input):
    type: Literal["", "image", "text", "interrogation"] | None = None
    name: str | None = Field(None, max_length=100)


class TeamLink(Output):
    name: str | None = None
    id: str | None = None


class WorkerKudosDetails(Output):
    generated: float
    uptime: int


class WorkerDetails(Output):
    type: Literal["image", "text", "interrogation"]
    name: str
    id: str
    online: bool
    requests_fulfilled: int
    kudos_rewards: float
    kudos_details: WorkerKudosDetails
    performance: str
    threads: int
    uptime: int
    uncompleted_jobs: int
    maintenance_mode: bool
    paused: bool | None = None
    info: str | None = None
    nsfw: bool
    owner: str | None = None
    trusted: bool
    flagged: bool = False
    models: list[str]
    team: TeamLink
    bridge_agent: str
    max_pixels: int | None = None
    megapixelsteps_generated: int | None = None
    img2img: bool | None = None
    painting: bool | None = None
    post_processing: bool | None = Field(None, alias="post-processing")
    lora: bool | None = None
    max_length: int | None = None
    max_context_length: int | None = None


class ModifyWorkerInput(Input):
    maintenance: bool | None = None
    maintenance_msg: str | None = Field(None, max_length=500)
    paused: bool | None = None
    info: str | None = Field(None, max_length=1000)
    name: str | None = Field(None, min_length=1, max_length=100)
    team: str | None = Field(None, max_length=36, description="A team id; empty to leave the team.")


class ModifyWorker(Output):
    maintenance: bool | None = None
    paused: bool | None = None
    info: str | None = None
    name: str | None = None
    team: str | None = None


class DeletedWorker(Output):
    deleted_id: str
    deleted_name: str


class TeamWorker(Output):
    name: str
    id: str
    online: bool


class TeamDetails(Output):
    name: str
    id: str
    info: str | None = None
    creator: str
    worker_count: int
    workers: list[TeamWorker]
    requests_fulfilled: int
    kudos: float
    uptime: int


class CreateTeamInput(Input):
    name: str = Field(min_length=3, max_length=100)
    info: str | None = Field(None, max_length=1000)


class ModifyTeamInput(Input):
    name: str | None = Field(None, min_length=3, max_length=100)
    info: str | None = Field(None, max_length=1000)


class ModifyTeam(Output):
    id: str
    name: str
    info: str | None = None


class DeletedTeam(Output):
    deleted_id: str
    deleted_name: str


# --- status and stats -----------------------------------------------------------------------------------------


class HordeHeartbeat(Output):
    message: str
    version: str


class HordeModes(Output):
    maintenance_mode: bool
    invite_only_mode: bool
    raid_mode: bool


class HordePerformance(Output):
    queued_requests: int
    queued_text_requests: int
    worker_count: int
    thread_count: int
    text_worker_count: int
    text_thread_count: int
    interrogator_count: int = 0
    interrogator_thread_count: int = 0
    queued_megapixelsteps: float
    queued_tokens: float
    queued_forms: float = 0
    past_minute_megapixelsteps: float
    past_minute_tokens: float


class ModelsQuery(Input):
    type: Literal["image", "text"] = "image"
    min_count: int | None = Field(None, ge=0, le=1_000_000)
    max_count: int | None = Field(None, ge=0, le=1_000_000)
    model_state: Literal["known", "custom", "all"] = "all"


class ActiveModel(Output):
    name: str
    count: int
    performance: float
    queued: float
    jobs: float
    eta: int
    type: Literal["image", "text"]


class StatsQuery(Input):
    model_state: Literal["known", "custom", "all"] = "all"


class SinglePeriodImgStat(Output):
    images: int
    ps: int


class StatsImgTotals(Output):
    minute: SinglePeriodImgStat
    hour: SinglePeriodImgStat
    day: SinglePeriodImgStat
    month: SinglePeriodImgStat
    total: SinglePeriodImgStat


class SinglePeriodTxtStat(Output):
    requests: int
    tokens: int


class StatsTxtTotals(Output):
    minute: SinglePeriodTxtStat
    hour: SinglePeriodTxtStat
    day: SinglePeriodTxtStat
    month: SinglePeriodTxtStat
    total: SinglePeriodTxtStat


class ModelStats(Output):
    day: dict[str, int]
    month: dict[str, int]
    total: dict[str, int]


# --- moderation -----------------------------------------------------------------------------------------------


class FiltersQuery(Input):
    filter_type: int | None = Field(None, ge=10, le=29)
    contains: str | None = Field(None, max_length=1000)


class FilterDetails(Output):
    id: str
    regex: str
    filter_type: int
    description: str | None = None
    replacement: str | None = None


class PutNewFilter(Input):
    regex: str = Field(min_length=1, max_length=1000)
    filter_type: int = Field(ge=10, le=29)
    description: str | None = Field(None, max_length=1000)
    replacement: str | None = Field(None, max_length=255)


class PatchExistingFilter(Input):
    regex: str | None = Field(None, min_length=1, max_length=1000)
    filter_type: int | None = Field(None, ge=10, le=29)
    description: str | None = Field(None, max_length=1000)
    replacement: str | None = Field(None, max_length=255)


class FilterCheckInput(Input):
    prompt: str = Field(max_length=100_000)
    filter_type: int | None = Field(None, ge=10, le=29)


class FilterPromptSuspicion(Output):
    suspicion: int
    matches: list[int] = Field(description="The filter types the prompt matches.")


class AddTimeoutIPInput(Input):
    ipaddr: str = Field(min_length=2, max_length=64)
    hours: int = Field(ge=1, le=720)


class DeleteTimeoutIPInput(Input):
    ipaddr: str = Field(min_length=2, max_length=64)


class IPTimeout(Output):
    ipaddr: str
    seconds: int
