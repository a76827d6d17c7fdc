"""What every API handler shares: the service, the caller (``apikey``, IP, client agent), body and query parsing
with AI Horde's error codes, JSON responses, and the ``Endpoint`` records that make both routes and Swagger."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import pydantic
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from horde.queue import errors
from horde.queue.dto import Actor
from horde.queue.service import HordeService
from horde.webapp import ratelimit
from horde.webapp.api.schemas import Input, Output

Handler = Callable[[Request], Awaitable[Response]]
M = TypeVar("M", bound=Input)
MAX_BODY = 64 * 1024 * 1024
MAX_ID = 2**31 - 1


@dataclasses.dataclass(frozen=True)
class Endpoint:
    """One operation: a route, and the Swagger entry generated from the same models."""

    method: str
    path: str  #: under /api, e.g. /v2/generate/check/{id}
    handler: Handler
    summary: str
    tag: str
    response: type[Output] | None = None
    many: bool = False  #: the response is a JSON array of ``response``
    status: int = 200
    body: type[Input] | None = None
    query: type[Input] | None = None
    auth: bool = False  #: reads the ``apikey`` header
    limit: str | None = None  #: the rate-limit rule, see ``ratelimit.DEFAULT_RULES``
    path_types: Mapping[str, str] = dataclasses.field(default_factory=dict)  #: name -> swagger type
    extra_statuses: tuple[int, ...] = ()


def service(request: Request) -> HordeService:
    svc: HordeService = request.app.state.service
    return svc


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def client_agent(request: Request) -> str | None:
    """``Client-Agent``, or horde-sdk's ``client_agent`` spelling; neither is required."""
    value = request.headers.get("client-agent") or request.headers.get("client_agent")
    return value[:200] if value else None


def api_key(request: Request) -> str | None:
    return request.headers.get("apikey") or None


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


async def actor(request: Request) -> Actor:
    """The caller: a user key, a shared key (a UUID), or anonymous (no key, or ``0000000000``)."""
    key = api_key(request)
    svc = service(request)
    ip, agent = client_ip(request), client_agent(request)
    if key and len(key) == 36 and _is_uuid(key):
        return await svc.sharedkeys.authenticate(key, ip=ip, client_agent=agent)
    if key is not None:
        check_strings(key, "apikey")
    return await svc.users.authenticate(key, ip=ip, client_agent=agent)


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
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise errors.ValidationError("The payload is too large.", {"body": "too large"})
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


def ok(model: Output | list[Any] | dict[str, Any], status: int = 200) -> JSONResponse:
    if isinstance(model, Output):
        content: Any = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    elif isinstance(model, list):
        content = [
            m.model_dump(mode="json", by_alias=True, exclude_none=True) if isinstance(m, Output) else m for m in model
        ]
    else:
        content = model
    return JSONResponse(content, status_code=status)


def limited(endpoint: Endpoint) -> Handler:
    """The handler, behind the endpoint's rate limit (if any)."""
    if endpoint.limit is None:
        return endpoint.handler
    name = endpoint.limit

    async def handler(request: Request) -> Response:
        limiter = ratelimit.limiter_for(request.app)
        if limiter.enabled:  # off for benchmarks: then not even the URL is built
            limiter.check(name, ip=client_ip(request), api_key=api_key(request), path=request.url.path)
        return await endpoint.handler(request)

    handler.__name__ = endpoint.handler.__name__
    return handler
