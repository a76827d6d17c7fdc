"""Pydantic models of the styles API (``/v2/styles/image``, ``/v2/styles/text``), named as AI Horde names them.
Every style parameter is optional: a style fixes only what it sets."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from horde.webapp.api.schemas.base import Input, Output
from horde.webapp.api.schemas.generate import SAMPLERS, ModelPayloadLoras, ModelPayloadTextualInversions

NAME: str = Field(min_length=1, max_length=100)
INFO: str | None = Field(None, max_length=1000)
MODELS: list[str] = Field(default_factory=list, max_length=5)


class ModelStyleInputParamsStable(Input):
    sampler_name: SAMPLERS | None = None
    cfg_scale: float | None = Field(None, ge=0, le=100)
    denoising_strength: float | None = Field(None, ge=0.01, le=1)
    height: int | None = Field(None, ge=64, le=3072, multiple_of=64)
    width: int | None = Field(None, ge=64, le=3072, multiple_of=64)
    post_processing: list[str] | None = Field(None, max_length=10)
    karras: bool | None = None
    tiling: bool | None = None
    hires_fix: bool | None = None
    clip_skip: int | None = Field(None, ge=1, le=12)
    loras: list[ModelPayloadLoras] | None = Field(None, max_length=5)
    tis: list[ModelPayloadTextualInversions] | None = Field(None, max_length=20)
    steps: int | None = Field(None, ge=1, le=500)


class ModelStyleInputParamsKobold(Input):
    max_context_length: int | None = Field(None, ge=80, le=1_048_576)
    max_length: int | None = Field(None, ge=16, le=4096)
    rep_pen: float | None = Field(None, ge=1, le=3)
    temperature: float | None = Field(None, ge=0, le=5)
    top_k: int | None = Field(None, ge=0, le=200)
    top_p: float | None = Field(None, ge=0.001, le=1)
    stop_sequence: list[str] | None = Field(None, max_length=128)


class ModelStyleInputStable(Input):
    name: str = NAME
    info: str | None = INFO
    prompt: str = Field("{p}{np}", min_length=3, max_length=100_000, description="Must contain {p} and {np}.")
    params: ModelStyleInputParamsStable | None = None
    public: bool = True
    models: list[str] = MODELS


class ModelStylePatchStable(Input):
    name: str | None = Field(None, min_length=1, max_length=100)
    info: str | None = INFO
    prompt: str | None = Field(None, min_length=3, max_length=100_000)
    params: ModelStyleInputParamsStable | None = None
    public: bool | None = None
    models: list[str] | None = Field(None, max_length=5)


class ModelStyleInputKobold(Input):
    name: str = NAME
    info: str | None = INFO
    prompt: str = Field("{p}", min_length=3, max_length=100_000, description="Must contain {p}.")
    params: ModelStyleInputParamsKobold | None = None
    public: bool = True
    models: list[str] = MODELS


class ModelStylePatchKobold(Input):
    name: str | None = Field(None, min_length=1, max_length=100)
    info: str | None = INFO
    prompt: str | None = Field(None, min_length=3, max_length=100_000)
    params: ModelStyleInputParamsKobold | None = None
    public: bool | None = None
    models: list[str] | None = Field(None, max_length=5)


class StylesQuery(Input):
    sort: Literal["popular", "age"] = "popular"
    page: int = Field(1, ge=1, le=10_000)


class StyleStable(Output):
    id: str
    name: str
    info: str | None = None
    prompt: str
    params: ModelStyleInputParamsStable
    public: bool
    nsfw: bool = False
    tags: list[str] = Field(default_factory=list)
    models: list[str]
    use_count: int
    creator: str


class StyleKobold(Output):
    id: str
    name: str
    info: str | None = None
    prompt: str
    params: ModelStyleInputParamsKobold
    public: bool
    nsfw: bool = False
    tags: list[str] = Field(default_factory=list)
    models: list[str]
    use_count: int
    creator: str


class StyleModify(Output):
    id: str
    message: str = "OK"
    warnings: list[dict[str, str]] = Field(default_factory=list)
