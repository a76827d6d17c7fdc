"""Text generation: prompt, model, length and sampling settings; the result follows on the request view."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from horde.queue import errors
from horde.queue.service import GenerationKind
from horde.webapp import appstate, security, templating
from horde.webapp.pages import forms


async def _page(
    request: Request, values: Mapping[str, Any], error: str | None = None, status_code: int = 200
) -> Response:
    models = await appstate.service(request).stats.models("text")
    context = {"values": values, "models": models, "error": error}
    return await templating.render(request, page="pages/text_form.html", context=context, status_code=status_code)


async def text_form(request: Request) -> Response:
    values = forms.text_values(request.query_params)
    if not values["model"]:
        models = await appstate.service(request).stats.models("text")
        values["model"] = next((row.name for row in models if row.workers), "")
    return await _page(request, values)


async def text_submit(request: Request) -> Response:
    form = await request.form()
    values = forms.text_values(form)
    service = appstate.service(request)
    try:
        created = await service.requests.submit(
            await security.viewer(request), GenerationKind.TEXT, forms.text_ask(values)
        )
    except errors.HordeError as exc:
        return await _page(request, values, error=exc.message, status_code=400)
    return RedirectResponse(request.url_for("request-detail", request_id=created.id).path, status_code=303)
