"""The one explicit list of routes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def all_routes() -> list[BaseRoute]:
    return [Route("/healthz", health, name="health")]
