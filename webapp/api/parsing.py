"""Reading an API request: the JSON body, the query and path parameters, validated against the models with AI Horde's
error codes (``NulByteInPayload``, ``InvalidSize``, …)."""

from __future__ import annotations

import json
import math
from typing import TypeVar

import pydantic
from starlette.requests import Request

from horde.queue import errors
from horde.webapp.api.schemas.base import Input

M = TypeVar("M", bound=Input)
MAX_ID = 2**31 - 1
MAX_DEPTH = 32  #: nesting levels of a JSON body (AI Horde's payloads use five); deeper is refused, never recursed


def check_strings(value: object, path: str = "payload") -> None:
    """No NUL byte (``NulByteInPayload``) and no lone surrogate anywhere in a nested payload, nested at most
    ``MAX_DEPTH`` deep. Walked with a stack, not recursion, so no payload can exhaust Python's stack."""
    stack: list[tuple[object, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item, where)
            continue
        if depth >= MAX_DEPTH and isinstance(item, dict | list):
            raise errors.ValidationError(f"{path} is nested too deeply.", {path: f"at most {MAX_DEPTH} levels"})
        if isinstance(item, dict):
            for key, child in item.items():
                _check_text(str(key), where)
                stack.append((child, f"{where}.{key}", depth + 1))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{index}]", depth + 1) for index, child in enumerate(item))


def _check_text(value: str, path: str) -> None:
    if "\x00" in value:
        raise errors.NulByteError(f"{path} contains a NUL byte.", {path: "contains a NUL byte"})
    try:
        value.encode()
    except UnicodeEncodeError as exc:
        raise errors.ValidationError(f"{path} is not valid text.", {path: "invalid unicode"}) from exc


def _not_a_number(name: str) -> object:
    """``json.loads`` takes ``NaN`` and ``Infinity``; JSON does not, and no field of ours wants them."""
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    """A JSON number as a float; ``1e999`` would be infinity: refused like ``Infinity``."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} is out of range")
    return value


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
        data = json.loads(raw, parse_constant=_not_a_number, parse_float=_finite) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError) as exc:  # ValueError: also ints of more than 4,300 digits
        raise errors.ValidationError("The payload is not JSON.", {"body": "invalid JSON"}) from exc
    except RecursionError as exc:  # the C decoder gives up on very deep nesting before it exhausts the stack
        raise errors.ValidationError("The payload is nested too deeply.", {"body": "nested too deeply"}) from exc
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
