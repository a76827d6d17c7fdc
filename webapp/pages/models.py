"""Public list of models: who serves them, what is queued, how long it takes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from horde.webapp import appstate, templating


async def models_index(request: Request) -> Response:
    stats = appstate.service(request).stats
    context = {"image_models": await stats.models("image"), "text_models": await stats.models("text")}
    return await templating.render(
        request, page="pages/models_index.html", partial="partials/models_table.html", context=context
    )
