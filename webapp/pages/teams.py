"""Public list of teams and their workers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from horde.webapp import appstate, security, templating


async def teams_index(request: Request) -> Response:
    service = appstate.service(request)
    teams = await service.teams.listing()
    workers = {w.id: w for w in await service.workers.listing(await security.viewer(request))}
    context = {"teams": teams, "workers": workers}
    return await templating.render(request, page="pages/teams_index.html", context=context)
