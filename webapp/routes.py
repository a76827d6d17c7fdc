"""The one explicit list of routes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from horde.webapp import pages
from horde.webapp.api.routes import api_routes


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def all_routes() -> list[BaseRoute]:
    return [
        Route("/healthz", health, name="health"),
        # the web UI first: unnamed API routes take their handler's name ("models", "workers"), and url_for
        # returns the first route of a name, so page names must win; no page path overlaps /api/
        *pages.routes(),  # the web UI (horde.webapp.pages)
        *api_routes(),  # the REST API v2 (horde.webapp.api)
    ]
