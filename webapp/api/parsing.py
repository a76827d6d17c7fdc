"""Reading an API request: the JSON body, the query and path parameters, validated against the models with AI Horde's
error codes (``NulByteInPayload``, ``InvalidSize``, …)."""

from __future__ import annotations

import json
from typing import TypeVar

import pydantic
from starlette.requests import Request

from horde.queue import errors
from horde.webapp.api.schemas.base import Input

M = TypeVar("M", bound=Input)
MAX_ID = 2**31 - 1


def check_strings(value: object, path: str = "payload") -> None:
    """No NUL byte (``NulByteInPayload``) and no lone surrogate anywhere in a nested payload."""
    if isinstance(value, str):
        if "\x00" in value:
            raise errors.NulByteError(f"{path} contains a NUL byte.", {path: "contains a NUL byte"})
        try:
            value.encode()
        except UnicodeEncodeError as exc:
            raise errors.ValidationError(f"{path} is not valid text.", {path: "invalid unicode"}) from exc
    elif isinstance(value, dict):
        for key, item in value.items():
            check_strings(key, path)
            check_strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_strings(item, f"{path}[{index}]")


# pydantic field -> the AI Horde code for a bad value of it
_FIELD_CODES: dict[str, type[errors.ValidationError]] = {
    "width": errors.InvalidSizeError,
    "height": errors.InvalidSizeError,
    "steps": errors.TooManyStepsError,
    "prompt": errors.MissingPromptError,
    "sampler_name": errors.UnsupportedSamplerError,
}


def validation_error(exc: pydantic.ValidationError) -> errors.ValidationError:
    fields: dict[str, str] = {}
    code: type[errors.ValidationError] = errors.ValidationError
    for item in exc.errors(include_url=False, include_context=False, include_input=False):
        loc = [str(part) for part in item["loc"]]
        fields[".".join(loc) or "body"] = item["msg"]
        if loc and loc[-1] in _FIELD_CODES and code is errors.ValidationError:
            code = _FIELD_CODES[loc[-1]]
    first = next(iter(fields.items()))
    return code(f"Input payload validation failed: {first[0]}: {first[1]}", fields)


async def body(request: Request, model: type[M]) -> M:
    raw = await request.body()  # at most the route's limit: ``horde.webapp.bodylimit`` refuses more unread
    try:
        data = json.loads(raw) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.ValidationError("The payload is not JSON.", {"body": "invalid JSON"}) from exc
    if not isinstance(data, dict):
        raise errors.ValidationError("The payload must be a JSON object.", {"body": "must be an object"})
    check_strings(data)
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise validation_error(exc) from exc


def query(request: Request, model: type[M]) -> M:
    data = dict(request.query_params)
    check_strings(data, "query")
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise validation_error(exc) from exc


def path_str(request: Request, name: str) -> str:
    value = str(request.path_params[name])
    check_strings(value, name)
    return value


def path_int(request: Request, name: str, not_found: type[errors.NotFoundError]) -> int:
    value = int(request.path_params[name])
    if not 0 <= value <= MAX_ID:
        raise not_found
    return value
