"""One image: its page (all parameters, reuse, marks), and the file itself, served only to those who may see it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from horde.webapp import appstate, security, templating
from horde.webapp.pages import forms


async def _item_context(request: Request, image_id: str, notice: str | None = None) -> dict[str, object]:
    item = await appstate.service(request).gallery.item(await security.viewer(request), image_id)
    positive, negative = forms.split_prompt(item.request.prompt)
    return {
        "item": item,
        "gen": item.generation,
        "req": item.request,
        "positive": positive,
        "negative": negative,
        "notice": notice,
    }


async def image_detail(request: Request) -> Response:
    context = await _item_context(request, request.path_params["image_id"])
    return await templating.render(
        request, page="pages/image_detail.html", partial="partials/image_actions.html", context=context
    )


async def image_file(request: Request) -> Response:
    """The image, to those who may see it. A public image may sit in shared caches, but they must ask again
    before each use (``no-cache``; the ETag makes that a cheap 304), so one made private stops being served at
    once; the owner's browser keeps a private copy."""
    image_id = request.path_params["image_id"]
    data, public = await appstate.service(request).gallery.load(await security.viewer(request), image_id)
    headers = {
        "Cache-Control": "public, no-cache" if public else "private, max-age=3600",
        "ETag": f'"{image_id}"',  # a result never changes; who may see it does, and is checked above
    }
    if request.query_params.get("download"):
        headers["Content-Disposition"] = f'attachment; filename="horde-{image_id}.webp"'
    if request.headers.get("if-none-match") == headers["ETag"]:
        response = Response(status_code=304, headers=headers)
    else:
        response = Response(data, media_type="image/webp", headers=headers)
    security.vary(response, "Cookie")
    return response


async def image_mark(request: Request) -> Response:
    """Favourite or make public (or undo either): the owner only."""
    image_id = request.path_params["image_id"]
    form = await request.form()
    changes: dict[str, bool] = {}
    for name in ("favourite", "public"):
        if name in form:
            changes[name] = forms.checkbox(form, name)
    service = appstate.service(request)
    await service.gallery.mark(await security.viewer(request), image_id, **changes)
    if not templating.is_htmx(request):
        return RedirectResponse(request.url_for("image-detail", image_id=image_id).path, status_code=303)
    notice = None
    if changes.get("public"):
        notice = "Anyone with the link can now see this image."
    context = await _item_context(request, image_id, notice)
    return await templating.render(
        request, page="pages/image_detail.html", partial="partials/image_actions.html", context=context
    )


async def image_delete(request: Request) -> Response:
    image_id = request.path_params["image_id"]
    await appstate.service(request).gallery.delete(await security.viewer(request), image_id)
    url = request.url_for("gallery").path
    if templating.is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)
