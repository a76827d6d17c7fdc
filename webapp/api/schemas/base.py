"""What every API model shares: ``Input`` (a request body or query) and ``Output`` (a response body), the error
body, and the plain ``{"message": "OK"}`` reply."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Input(BaseModel):
    """A request body: unknown fields are ignored, as upstream does."""

    model_config = ConfigDict(extra="ignore")


class Output(BaseModel):
    """A response body."""


class RequestError(Output):
    message: str
    rc: str
    errors: dict[str, str] | None = Field(None, description="Per-field messages, on a validation failure only.")


class SimpleResponse(Output):
    message: str = "OK"
