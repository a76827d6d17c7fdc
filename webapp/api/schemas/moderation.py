"""Models of moderation: prompt filters (``/v2/filters``) and IP timeouts (``/v2/operations/ipaddr``)."""

from __future__ import annotations

from pydantic import Field

from horde.webapp.api.schemas.base import Input, Output


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
