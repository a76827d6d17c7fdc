"""The live request view: progress that polls itself until done, cancel (keeping what finished), retry, rate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from horde.queue import dto
from horde.queue.service import GenerationAsk, GenerationKind, Rating, RequestState
from horde.webapp import appstate, security, templating
from horde.webapp.pages import forms

#: What a retry asks again with: the form's settings, and for images the post-processing chosen with them.
_KEPT_ON_RETRY = {
    "image": {*forms.IMAGE_DEFAULTS, "post_processing", "facefixer_strength"},
    "text": set(forms.TEXT_DEFAULTS),
}


async def _status(request: Request, request_id: str) -> dto.RequestStatus:
    service = appstate.service(request)
    actor = await security.viewer(request)
    await service.gallery.check_request_viewer(actor, request_id)
    status: dto.RequestStatus = await service.requests.status(actor, request_id)
    return status


def _context(status: dto.RequestStatus, **extra: Any) -> dict[str, Any]:
    images = [g for g in status.generations if g.result_key and not g.censored]
    censored = [g for g in status.generations if g.censored]
    texts = [g for g in status.generations if g.text is not None]
    positive, negative = forms.split_prompt(status.prompt) if status.kind == "image" else (status.prompt, "")
    return {
        "req": status,
        "positive": positive,
        "negative": negative,
        "images": images,
        "censored": censored,
        "texts": texts,
        "percent": round(100 * status.finished / status.n) if status.n else 100,
        "notice": None,
        "rating": None,
        **extra,
    }


async def _rating(request: Request, status: dto.RequestStatus, reward: float | None = None) -> dict[str, Any] | None:
    """The rating form's state, only for the requester's finished, shared image requests (AI Horde's rules)."""
    actor = await security.viewer(request)
    rateable = status.kind == "image" and status.state == RequestState.DONE.value and status.shared
    if not rateable or actor.is_anonymous or actor.user_id != status.user_id or not status.finished:
        return None
    rated = reward is not None or await appstate.service(request).ratings.is_rated(status.id)
    return {"rated": rated, "reward": reward}


async def request_detail(request: Request) -> Response:
    status = await _status(request, request.path_params["request_id"])
    return await templating.render(
        request,
        page="pages/request_detail.html",
        partial="partials/request_status.html",
        context=_context(status, rating=await _rating(request, status)),
        headers={"Cache-Control": "no-store"},
    )


def _ratings(form: Mapping[str, Any], status: dto.RequestStatus) -> tuple[Rating, ...]:
    """One rating per image whose score was chosen; artifacts only beside a score (the form's select values)."""
    result = []
    for gen in status.generations:
        score = forms.text(form, f"rating-{gen.id}")
        if forms.is_small_int(score):
            artifacts = forms.text(form, f"artifacts-{gen.id}")
            result.append(Rating(gen.id, int(score), int(artifacts) if forms.is_small_int(artifacts) else None))
    return tuple(result)


async def request_rate(request: Request) -> Response:
    """Rate the images of a finished, shared request: the form answers with the kudos it earned."""
    request_id = request.path_params["request_id"]
    status = await _status(request, request_id)
    form = await request.form()
    reward = await appstate.service(request).ratings.rate(
        await security.viewer(request),
        request_id,
        best=forms.text(form, "best") or None,
        ratings=_ratings(form, status),
    )
    if not templating.is_htmx(request):
        return RedirectResponse(request.url_for("request-detail", request_id=request_id).path, status_code=303)
    context = _context(status, rating=await _rating(request, status, reward))
    return await templating.render(request, page="partials/request_rating.html", context=context)


async def request_cancel(request: Request) -> Response:
    request_id = request.path_params["request_id"]
    service = appstate.service(request)
    await _status(request, request_id)
    await service.requests.cancel(await security.viewer(request), request_id)
    status = await service.requests.status(await security.viewer(request), request_id)
    if not templating.is_htmx(request):
        return RedirectResponse(request.url_for("request-detail", request_id=request_id).path, status_code=303)
    notice = "Cancelled. Images that were already finished are kept below."
    return await templating.render(
        request,
        page="pages/request_detail.html",
        partial="partials/request_status.html",
        context=_context(status, notice=notice),
    )


async def request_retry(request: Request) -> Response:
    """Ask again with the same prompt, settings and source image: a new request."""
    request_id = request.path_params["request_id"]
    service = appstate.service(request)
    actor = await security.viewer(request)
    old = await _status(request, request_id)
    source, mask, processing = await service.gallery.source_image(actor, request_id)
    known = _KEPT_ON_RETRY[old.kind]
    params = {k: v for k, v in old.params.items() if k in known and v is not None}
    ask = GenerationAsk(
        prompt=old.prompt,
        params=params,
        models=old.models,
        shared=old.shared,
        source_image=source,
        source_mask=mask,
        source_processing=processing or "img2img",
    )
    created = await service.requests.submit(actor, GenerationKind(old.kind), ask)
    url = request.url_for("request-detail", request_id=created.id).path
    if templating.is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)
