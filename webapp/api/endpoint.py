"""``Endpoint``: one API operation, the record that makes both its route and its Swagger entry, and ``limited``,
which puts an endpoint's handler behind its rate limit."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import Response

from horde.webapp import appstate, ratelimit
from horde.webapp.api import caller
from horde.webapp.api.schemas.base import Input, Output

Handler = Callable[[Request], Awaitable[Response]]


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


def limited(endpoint: Endpoint) -> Handler:
    """The handler, behind the endpoint's rate limit (if any)."""
    if endpoint.limit is None:
        return endpoint.handler
    name = endpoint.limit

    async def handler(request: Request) -> Response:
        limiter = ratelimit.limiter_for(request.app)
        if limiter.enabled:  # off for benchmarks: then not even the URL is built
            await limiter.hit(
                name, ip=appstate.client_ip(request), api_key=caller.api_key(request), path=request.url.path
            )
        return await endpoint.handler(request)

    handler.__name__ = endpoint.handler.__name__
    return handler
