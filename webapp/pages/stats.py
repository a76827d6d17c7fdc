"""Live statistics: throughput, queue, workers online; the numbers refresh themselves."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from horde.webapp import appstate, templating


async def stats_index(request: Request) -> Response:
    stats = appstate.service(request).stats
    context = {
        "performance": await stats.performance(),
        "image_totals": await stats.totals("image"),
        "text_totals": await stats.totals("text"),
    }
    return await templating.render(
        request, page="pages/stats_index.html", partial="partials/stats_live.html", context=context
    )
