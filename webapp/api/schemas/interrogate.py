"""Models of alchemy (``/v2/interrogate/…``): the ask, its status, an alchemist's pop and submit."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from horde.webapp.api.schemas.base import Input, Output


class ModelInterrogationFormStable(Input):
    name: str = Field(min_length=1, max_length=64, description="caption, interrogation, nsfw, or a post-processor.")
    payload: dict[str, Any] | None = None


class ModelInterrogationInputStable(Input):
    forms: list[ModelInterrogationFormStable] = Field(min_length=1, max_length=20)
    source_image: str = Field(
        min_length=1, description="The image, in base64 (WebP, PNG or JPEG; URLs are not fetched)."
    )
    slow_workers: bool = True
    trusted_workers: bool = False


class RequestInterrogationResponse(Output):
    id: str
    message: str | None = None


class InterrogationFormStatus(Output):
    form: str
    state: str
    result: dict[str, Any] | None = None


class InterrogationStatus(Output):
    state: str
    forms: list[InterrogationFormStatus]


class InterrogationPopInput(Input):
    name: str = Field(min_length=1, max_length=100)
    priority_usernames: list[str] = Field(default_factory=list, max_length=20)
    forms: list[str] = Field(min_length=1, max_length=30)
    amount: int = Field(1, ge=1, le=20)
    bridge_agent: str = Field("unknown:0:unknown", max_length=1000)
    threads: int = Field(1, ge=1, le=50)
    max_tiles: int = Field(16, ge=1, le=256)


class InterrogationPopFormPayload(Output):
    id: str
    form: str
    payload: dict[str, Any] | None = None
    source_image: str
    r2_upload: str | None = None


class InterrogationPopPayload(Output):
    forms: list[InterrogationPopFormPayload]
    skipped: dict[str, int] = Field(default_factory=dict)


class SubmitInputInterrogation(Input):
    id: str = Field(min_length=1, max_length=64)
    result: dict[str, Any] = Field(default_factory=dict)
    state: Literal["ok", "faulted"] = "ok"
