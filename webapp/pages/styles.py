"""Styles: the public list (use one on the generate page), and a form for trusted users to make one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from horde.queue import errors
from horde.queue.service import KNOWN_SAMPLERS, GenerationKind
from horde.webapp import appstate, ratelimit, security, templating
from horde.webapp.pages import forms

FORM_DEFAULTS: dict[str, Any] = {
    "name": "",
    "kind": "image",
    "prompt": "{p} {np}",
    "info": "",
    "models": "",
    "sampler_name": "",
    "steps": "",
    "cfg_scale": "",
    "width": "",
    "height": "",
}
IMAGE_PARAMS = ("steps", "cfg_scale", "width", "height")


def _params(values: Mapping[str, Any]) -> dict[str, Any]:
    """The settings the style fixes: only the fields filled in (numbers as numbers)."""
    if values["kind"] != "image":
        return {}
    params: dict[str, Any] = {}
    for name in IMAGE_PARAMS:
        raw = str(values[name]).strip()
        if raw:
            params[name] = forms.number(values, name, 0.0 if name == "cfg_scale" else 0)
    if values["sampler_name"]:
        params["sampler_name"] = values["sampler_name"]
    return params


async def _page(
    request: Request, values: Mapping[str, Any], *, error: str | None = None, status_code: int = 200
) -> Response:
    actor = await security.viewer(request)
    service = appstate.service(request)
    image = await service.styles.listing(GenerationKind.IMAGE, viewer=actor)
    text = await service.styles.listing(GenerationKind.TEXT, viewer=actor)
    is_mod = actor.is_moderator
    context = {
        "image_styles": image,
        "text_styles": text,
        "can_create": not actor.is_anonymous and actor.is_trusted,
        "deletable": {s.id for s in [*image, *text] if is_mod or s.owner_id == actor.user_id},
        "form": values,
        "samplers": sorted(KNOWN_SAMPLERS, key=str.lower),
        "error": error,
    }
    return await templating.render(request, page="pages/styles_index.html", context=context, status_code=status_code)


async def styles_index(request: Request) -> Response:
    return await _page(request, FORM_DEFAULTS)


async def style_create(request: Request) -> Response:
    form = await request.form()
    values = {name: forms.text(form, name, str(default)).strip() for name, default in FORM_DEFAULTS.items()}
    kind = GenerationKind.TEXT if values["kind"] == "text" else GenerationKind.IMAGE
    try:
        await ratelimit.limiter_for(request.app).hit(
            "create", ip=appstate.client_ip(request), api_key=None, path=request.url.path
        )
        await appstate.service(request).styles.create(
            await security.viewer(request),
            kind,
            name=values["name"],
            prompt=values["prompt"],
            info=values["info"] or None,
            models=[m for m in values["models"].split(",") if m.strip()],
            params=_params(values),
        )
    except errors.HordeError as exc:
        return await _page(request, values, error=exc.message, status_code=400)
    return RedirectResponse(request.url_for("styles").path, status_code=303)


async def style_delete(request: Request) -> Response:
    await appstate.service(request).styles.delete(await security.viewer(request), request.path_params["style_id"])
    return RedirectResponse(request.url_for("styles").path, status_code=303)
