"""Models of text generation (``/v2/generate/text/…``), named as AI Horde's Kobold definitions."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from horde.webapp.api.schemas.base import Input, Output
from horde.webapp.api.schemas.generate import PopInput, RequestStatusCheck, SubmitInput


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
