"""The one explicit list of routes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from horde.webapp import metrics, pages
from horde.webapp.api.routes import api_routes


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def all_routes() -> list[BaseRoute]:
    return [
        Route("/healthz", health, name="health"),
        Route("/metrics", metrics.endpoint, name="metrics"),  # Prometheus; keep it off the public side of the proxy
        # the API first, the busiest; its mount is named "api", so url_for("models") still finds the page
        *api_routes(),  # the REST API v2 (horde.webapp.api), mounted at /api
        *pages.routes(),  # the web UI (horde.webapp.pages); no page path overlaps /api/
    ]
