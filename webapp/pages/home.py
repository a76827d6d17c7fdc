"""The front page: what Horde is, a prompt box, and how busy the horde is right now."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from horde.webapp import appstate, templating


async def home(request: Request) -> Response:
    service = appstate.service(request)
    context = {
        "performance": await service.stats.performance(),
        "models": [m for m in await service.stats.models("image") if m.workers][:6],
        "news": await service.modes.news(limit=3),
    }
    return await templating.render(request, page="pages/home.html", context=context)
