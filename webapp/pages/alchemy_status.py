"""An alchemy request's page: its image, each form's state and result (a caption to use as a prompt, the NSFW
verdict, tags with their confidence, post-processed images), polling itself until every form is final; cancel;
and the images, served only to those who may follow the request.

Who may: its requester and moderators. Every anonymous visitor shares one account, and the status does not say
which address asked, so for an anonymous request holding its id is the proof, as in the API (and upstream).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from horde.queue import dto, errors
from horde.webapp import appstate, security, templating
from horde.webapp.pages import alchemy_offers as offers_mod

FINAL = frozenset({"done", "faulted", "cancelled"})


@dataclasses.dataclass(frozen=True)
class FormView:
    """One form as the page shows it."""

    id: str
    name: str
    label: str
    state: str
    served: bool  #: some online alchemist serves this form now
    caption: str | None = None
    nsfw: bool | None = None
    tags: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = ()  #: (category, ((text, confidence), …))
    has_image: bool = False


def _tags(result: dict[str, Any]) -> tuple[tuple[str, tuple[tuple[str, float], ...]], ...]:
    """Each category's tags, most confident first; categories without tags left out."""
    details = result.get("interrogation") or {}
    out = []
    for category, items in details.items():
        pairs = sorted(((str(i["text"]), float(i["confidence"])) for i in items), key=lambda p: -p[1])
        if pairs:
            out.append((str(category), tuple(pairs)))
    return tuple(out)


def form_view(form: dto.FormStatus, served: bool) -> FormView:
    result = form.result if form.state == "done" and form.result else {}
    caption = result.get("caption")
    nsfw = result.get("nsfw")
    return FormView(
        id=form.id,
        name=form.form,
        label=offers_mod.label(form.form),
        state=form.state,
        served=served,
        caption=caption if isinstance(caption, str) else None,
        nsfw=nsfw if isinstance(nsfw, bool) else None,
        tags=_tags(result),
        has_image=form.state == "done" and form.result_key is not None,
    )


async def viewable(request: Request, interrogation_id: str) -> dto.InterrogationStatus:
    """The interrogation, if the viewer may follow it; else not found (never "it exists, but not for you")."""
    actor = await security.viewer(request)
    status: dto.InterrogationStatus = await appstate.service(request).interrogations.status(interrogation_id)
    if status.user_id != actor.user_id and not actor.is_moderator:
        raise errors.RequestNotFoundError("No interrogation has this id (or it expired).")
    return status


async def _render(request: Request, status: dto.InterrogationStatus, notice: str | None = None) -> Response:
    offered = (await appstate.service(request).offers.current()).forms
    rows = [form_view(form, form.form in offered) for form in status.forms]
    context = {
        "st": status,
        "rows": rows,
        "final": status.state in FINAL,
        "finished": sum(row.state == "done" for row in rows),
        "notice": notice,
    }
    return await templating.render(
        request,
        page="pages/alchemy_detail.html",
        partial="partials/alchemy_status.html",
        context=context,
        headers={"Cache-Control": "no-store"},
    )


async def alchemy_detail(request: Request) -> Response:
    interrogation_id = request.path_params["interrogation_id"]
    try:
        status = await viewable(request, interrogation_id)
    except errors.RequestNotFoundError:
        if not templating.is_htmx(request):
            raise
        # a poll of a request that expired since: say so, and stop the polling (htmx stops on 286)
        context = {"interrogation_id": interrogation_id}
        return await templating.render(request, page="partials/alchemy_gone.html", context=context, status_code=286)
    return await _render(request, status)


async def alchemy_cancel(request: Request) -> Response:
    """Drop the forms still waiting; finished results stay, forms in work finish."""
    interrogation_id = request.path_params["interrogation_id"]
    await viewable(request, interrogation_id)
    service = appstate.service(request)
    status = await service.interrogations.cancel(await security.viewer(request), interrogation_id)
    if not templating.is_htmx(request):
        url = request.url_for("alchemy-detail", interrogation_id=interrogation_id).path
        return RedirectResponse(url, status_code=303)
    return await _render(request, status, notice="Cancelled. Results that were already finished are kept.")


def media_type(data: bytes) -> str:
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:4] == b"GIF8":
        return "image/gif"
    return "application/octet-stream"


def _image_response(request: Request, data: bytes | None, etag: str, name: str) -> Response:
    if data is None:
        raise errors.NotFoundError("This image is no longer stored.")
    media = media_type(data)
    headers = {"Cache-Control": "private, max-age=3600", "ETag": f'"{etag}"'}  # a result never changes
    if request.query_params.get("download"):
        extension = media.rpartition("/")[2].replace("octet-stream", "bin")
        headers["Content-Disposition"] = f'attachment; filename="horde-{name}.{extension}"'
    if request.headers.get("if-none-match") == headers["ETag"]:
        response = Response(status_code=304, headers=headers)
    else:
        response = Response(data, media_type=media, headers=headers)
    security.vary(response, "Cookie")
    return response


async def alchemy_source_image(request: Request) -> Response:
    interrogation_id = request.path_params["interrogation_id"]
    await viewable(request, interrogation_id)
    data = await appstate.service(request).alchemists.source_image(interrogation_id)
    return _image_response(request, data, f"src-{interrogation_id}", f"{interrogation_id}-source")


async def alchemy_result_image(request: Request) -> Response:
    """A post-processor's image: only one of this interrogation's finished forms."""
    interrogation_id = request.path_params["interrogation_id"]
    form_id = request.path_params["form_id"]
    status = await viewable(request, interrogation_id)
    form = next((f for f in status.forms if f.id == form_id and f.result_key is not None), None)
    if form is None:
        raise errors.NotFoundError("This request has no such image.")
    data = await appstate.service(request).alchemists.form_image(form_id)
    return _image_response(request, data, form_id, f"{form.form}-{form_id[:8]}")
