"""Public list of workers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from horde.webapp import appstate, security, templating


async def workers_index(request: Request) -> Response:
    workers = await appstate.service(request).workers.listing(await security.viewer(request))
    workers.sort(key=lambda w: (not w.online, w.kind, w.name.lower()))
    return await templating.render(request, page="pages/workers_index.html", context={"workers": workers})
