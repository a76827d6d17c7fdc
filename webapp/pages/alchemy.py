"""The alchemy page: upload an image and pick what the alchemists should do with it (caption, NSFW check, tags,
upscale, fix faces, remove the background). What happens next is on the status page (``alchemy_status``).

The form posts through htmx when it can: an error then replaces only the message above the form, so the chosen
file and boxes stay as they were. Without JavaScript it is a plain POST that shows the page again.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from horde.queue import errors
from horde.queue.service import AlchemyAsk, GalleryItem
from horde.webapp import appstate, errors as web_errors, security, templating
from horde.webapp.pages import alchemy_offers as offers_mod, forms

SOURCE_FIELD = "source_image"


async def _page(
    request: Request,
    *,
    chosen: Collection[str] = (),
    source_item: GalleryItem | None = None,
    error: str | None = None,
    field_errors: Mapping[str, str] | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    offered = (await appstate.service(request).offers.current()).forms
    context = {
        "describing": offers_mod.options(offers_mod.DESCRIBING, offered, chosen),
        "upscalers": offers_mod.options(offers_mod.UPSCALERS, offered, chosen),
        "fixers": offers_mod.options(offers_mod.FIXERS, offered, chosen),
        "none_served": not offered,
        "source_item": source_item,
        "error": error,
        "field_errors": dict(field_errors or {}),
        "max_upload": forms.MAX_UPLOAD,
        "is_htmx": templating.is_htmx(request),
    }
    return await templating.render(
        request,
        page="pages/alchemy_form.html",
        partial="partials/alchemy_errors.html",  # only an htmx submit asks for a fragment: its errors
        context=context,
        status_code=status_code,
        headers=headers,
    )


async def _source_item(request: Request, image_id: str | None) -> GalleryItem | None:
    """A gallery image the viewer may see, to work on (``?source=`` from an image's page)."""
    if not image_id:
        return None
    return await appstate.service(request).gallery.item(await security.viewer(request), image_id)


async def _kept_item(request: Request, image_id: str) -> GalleryItem | None:
    """The gallery image the form named, to show again after an error; None if it is not one the viewer sees."""
    try:
        return await _source_item(request, image_id)
    except errors.HordeError:
        return None


async def alchemy_form(request: Request) -> Response:
    query = request.query_params
    return await _page(
        request, chosen=offers_mod.chosen_forms(query), source_item=await _source_item(request, query.get("source"))
    )


async def _read_form(request: Request, kept: dict[str, Any]) -> bytes | None:
    """The upload, with the choices put in ``kept`` first, so an upload that is refused loses none of them."""
    async with request.form(max_files=1, max_part_size=64 * 1024) as form:
        kept["chosen"] = offers_mod.chosen_forms(form)
        kept["source_from"] = forms.text(form, "source_from")
        return await forms.upload(form, SOURCE_FIELD)


def _readable(exc: errors.HordeError) -> str:
    """The engine's message, naming the field as the page labels it."""
    return exc.message.replace(f"{SOURCE_FIELD} is", "The image is")


async def alchemy_submit(request: Request) -> Response:
    service = appstate.service(request)
    actor = await security.viewer(request)
    kept: dict[str, Any] = {"chosen": [], "source_from": ""}
    source_item = None
    try:
        source = await _read_form(request, kept)
        if source is None and kept["source_from"]:
            source_item = await _source_item(request, kept["source_from"])
            source, _ = await service.gallery.load(actor, kept["source_from"])
        if source is None:
            raise errors.ValidationError("Choose an image to work on.", {SOURCE_FIELD: "missing"})
        ask = AlchemyAsk(forms=tuple({"name": name} for name in kept["chosen"]), source_image=source)
        created = await service.interrogations.submit(actor, ask)
    except errors.HordeError as exc:
        return await _page(
            request,
            chosen=kept["chosen"],
            source_item=source_item or await _kept_item(request, kept["source_from"]),
            error=_readable(exc),
            field_errors=exc.field_errors if isinstance(exc, errors.ValidationError) else {},
            status_code=web_errors.status_for(exc),
            headers=web_errors.error_headers(exc),
        )
    url = request.url_for("alchemy-detail", interrogation_id=created.id).path
    if templating.is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)
