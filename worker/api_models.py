"""The worker's own models of the AI Horde v2 JSON it sends and receives (pop and submit, image and text).

These mirror the wire format of ``/api/v2/generate/pop``, ``/submit``, their ``text/`` twins and the alchemy
endpoints ``/api/v2/interrogate/pop`` and ``/submit``, and are kept apart from the server's schemas on purpose: the worker must work against any AI-Horde-compatible server. Responses ignore
unknown fields; requests are dumped with ``exclude_none`` so servers apply their own defaults.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

SubmitState = Literal["ok", "censored", "faulted", "csam"]


class _Incoming(BaseModel):
    model_config = ConfigDict(extra="ignore", protected_namespaces=())


class _Outgoing(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class Lora(_Incoming):
    """One LoRA asked for by a job."""

    name: str
    model: float = 1.0
    clip: float = 1.0
    inject_trigger: str | None = None
    is_version: bool = False


class ImagePayload(_Incoming):
    """The generation parameters of an image job (``payload`` in the pop response)."""

    prompt: str = ""
    ddim_steps: int = Field(30, ge=1, validation_alias=AliasChoices("ddim_steps", "steps"))
    seed: str | int | None = None
    sampler_name: str = "k_euler_a"
    cfg_scale: float = 7.5
    width: int = Field(512, ge=8)
    height: int = Field(512, ge=8)
    karras: bool = True
    clip_skip: int = Field(1, ge=1)
    tiling: bool = False
    hires_fix: bool = False
    denoising_strength: float | None = None
    loras: list[Lora] = Field(default_factory=list)
    n_iter: int = Field(1, ge=1, validation_alias=AliasChoices("n_iter", "n"))
    use_nsfw_censor: bool = False
    post_processing: list[str] = Field(default_factory=list)
    facefixer_strength: float = Field(0.75, ge=0, le=1)

    @field_validator("seed", mode="before")
    @classmethod
    def _blank_seed_is_none(cls, value: object) -> object:
        return None if value == "" else value


class ImagePopRequest(_Outgoing):
    """Body of ``POST /api/v2/generate/pop``."""

    name: str
    models: list[str]
    bridge_agent: str
    nsfw: bool
    threads: int
    amount: int
    max_pixels: int
    allow_img2img: bool
    allow_painting: bool
    allow_unsafe_ipaddr: bool = True
    allow_post_processing: bool = False
    post_processors: list[str] | None = None  #: Horde extension: the post-processors this worker runs
    csam_guard: bool | None = None  #: Horde extension: whether this worker's images pass the CSAM guard
    allow_controlnet: bool = False
    allow_sdxl_controlnet: bool = False
    allow_lora: bool = False
    require_upfront_kudos: bool = False
    extra_slow_worker: bool = False
    limit_max_steps: bool = False
    blacklist: list[str] = Field(default_factory=list)


class ImagePopResponse(_Incoming):
    """Answer of ``POST /api/v2/generate/pop``; ``id`` is None when there is no work."""

    id: str | None = None
    ids: list[str] = Field(default_factory=list)
    payload: ImagePayload = Field(default_factory=ImagePayload)
    model: str | None = None
    ttl: int | None = None
    source_image: str | None = None
    source_mask: str | None = None
    source_processing: str = "img2img"
    r2_upload: str | None = None
    r2_uploads: list[str] | None = None
    skipped: dict[str, float] = Field(default_factory=dict)
    messages: list[object] = Field(default_factory=list)

    @property
    def job_ids(self) -> list[str]:
        """Every job of this pop (``ids``, or the lone ``id``); empty when there is no work."""
        if self.model is None and self.id is None:
            return []
        return list(self.ids) if self.ids else ([self.id] if self.id else [])

    def upload_url(self, index: int) -> str | None:
        """The presigned PUT URL for the ``index``-th job, if the server gave one."""
        if self.r2_uploads and index < len(self.r2_uploads):
            return self.r2_uploads[index]
        return self.r2_upload if index == 0 else None


class GenMetadata(_Outgoing):
    """One ``gen_metadata`` entry of a submit."""

    type: str
    value: str
    ref: str | None = None


class ImageSubmitRequest(_Outgoing):
    """Body of ``POST /api/v2/generate/submit``: ``generation`` is ``"R2"`` after an upload, else base64 webp."""

    id: str
    generation: str
    seed: int
    state: SubmitState = "ok"
    censored: bool = False
    gen_metadata: list[GenMetadata] = Field(default_factory=list)


class SubmitResponse(_Incoming):
    """Answer of a submit: the kudos credited."""

    reward: float = 0.0


class TextPayload(_Incoming):
    """The generation parameters of a text job."""

    prompt: str = ""
    n: int = 1
    max_length: int = Field(80, ge=1)
    max_context_length: int = Field(2048, ge=1)
    temperature: float = 0.7
    top_p: float = 1.0
    top_k: int = 0
    rep_pen: float = 1.0
    seed: int | None = None
    stop_sequence: list[str] = Field(default_factory=list)


class TextPopRequest(_Outgoing):
    """Body of ``POST /api/v2/generate/text/pop``."""

    name: str
    models: list[str]
    bridge_agent: str
    nsfw: bool
    threads: int
    amount: int
    max_length: int
    max_context_length: int
    softprompts: list[str] = Field(default_factory=list)
    require_upfront_kudos: bool = False
    extra_slow_worker: bool = False


class TextPopResponse(_Incoming):
    """Answer of ``POST /api/v2/generate/text/pop``."""

    id: str | None = None
    ids: list[str] = Field(default_factory=list)
    payload: TextPayload = Field(default_factory=TextPayload)
    model: str | None = None
    ttl: int | None = None
    skipped: dict[str, float] = Field(default_factory=dict)
    messages: list[object] = Field(default_factory=list)

    @property
    def job_ids(self) -> list[str]:
        """Every job of this pop; empty when there is no work."""
        if self.model is None and self.id is None:
            return []
        return list(self.ids) if self.ids else ([self.id] if self.id else [])


class TextSubmitRequest(_Outgoing):
    """Body of ``POST /api/v2/generate/text/submit``."""

    id: str
    generation: str
    seed: int = 0
    state: SubmitState = "ok"
    gen_metadata: list[GenMetadata] = Field(default_factory=list)


class AlchemyPopRequest(_Outgoing):
    """Body of ``POST /api/v2/interrogate/pop``."""

    name: str
    forms: list[str]
    bridge_agent: str
    threads: int
    amount: int
    max_tiles: int = Field(16, ge=1, le=256)
    priority_usernames: list[str] = Field(default_factory=list)


class AlchemyForm(_Incoming):
    """One form handed to this worker: what to do (``form``) to which image (``source_image``, a URL)."""

    id: str
    form: str
    payload: dict[str, object] | None = None
    source_image: str
    r2_upload: str | None = None


class AlchemyPopResponse(_Incoming):
    """Answer of ``POST /api/v2/interrogate/pop``; ``forms`` is empty (or null) when there is no work."""

    forms: list[AlchemyForm] | None = None
    skipped: dict[str, object] = Field(default_factory=dict)

    @field_validator("skipped", mode="before")
    @classmethod
    def _null_skipped_is_empty(cls, value: object) -> object:
        return {} if value is None else value


AlchemySubmitState = Literal["ok", "faulted"]


class AlchemySubmitRequest(_Outgoing):
    """Body of ``POST /api/v2/interrogate/submit``: ``result`` maps the form name to its result."""

    id: str
    result: dict[str, object]
    state: AlchemySubmitState = "ok"
