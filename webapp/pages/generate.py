"""The generate page: the form, its live kudos estimate and model availability, and submitting it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from horde.queue import dto, errors
from horde.queue.service import KNOWN_SAMPLERS, GalleryItem, GenerationAsk, GenerationKind
from horde.webapp import appstate, security, templating
from horde.webapp.pages import alchemy_offers, forms

SAMPLERS = sorted(KNOWN_SAMPLERS, key=str.lower)
#: a 1×1 PNG: stands in for an upload when estimating (the cost depends on whether there is a source, not on it)
_PLACEHOLDER_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415478"
    "9c63606060000000040001f61738550000000049454e44ae426082"
)


async def _model_rows(request: Request, kind: str) -> list[dto.ModelStatus]:
    rows: list[dto.ModelStatus] = await appstate.service(request).stats.models(kind)
    return rows


def _styled(values: Mapping[str, Any], ask: GenerationAsk) -> GenerationAsk:
    """The request naming the chosen style (the service applies it), or unchanged without one."""
    ref = str(values.get("style") or "").strip()
    return dataclasses.replace(ask, style=ref) if ref else ask


def _post_processed(values: Mapping[str, Any], ask: GenerationAsk) -> GenerationAsk:
    """The request with the chosen post-processors (the engine checks their names), or unchanged without any."""
    chosen = list(values.get("post_processing") or [])
    return dataclasses.replace(ask, params={**ask.params, "post_processing": chosen}) if chosen else ask


def _post_processing_options(values: Mapping[str, Any], offered: frozenset[str]) -> dict[str, Any]:
    chosen = list(values.get("post_processing") or [])
    return {
        "pp_upscalers": alchemy_offers.options(alchemy_offers.UPSCALERS, offered, chosen),
        "pp_fixers": alchemy_offers.options(alchemy_offers.FIXERS, offered, chosen),
        "pp_none_offered": not offered,
    }


async def _style_rows(request: Request) -> list[dto.StyleInfo]:
    actor = await security.viewer(request)
    rows: list[dto.StyleInfo] = await appstate.service(request).styles.listing(GenerationKind.IMAGE, viewer=actor)
    return rows


async def _estimate(
    request: Request, kind: GenerationKind, ask: GenerationAsk, values: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The kudos cost and the chosen model's availability, or the reason the form is not valid yet."""
    service = appstate.service(request)
    actor = await security.viewer(request)
    context: dict[str, Any] = {"estimate": None, "estimate_error": None, "model_status": None, "kind": kind.value}
    ask = _post_processed(values or {}, _styled(values or {}, ask))
    try:
        try:
            context["estimate"] = await service.requests.estimate(actor, kind, ask)
        except errors.MissingPromptError:  # no prompt yet: show what the settings would cost
            context["estimate"] = await service.requests.estimate(actor, kind, _with_prompt(ask))
    except errors.HordeError as exc:
        context["estimate_error"] = exc.message
        return context
    wanted = ask.models[0] if ask.models else None
    rows = await _model_rows(request, kind.value)
    serving = [row for row in rows if wanted is None or row.name == wanted]
    context["model_status"] = {
        "name": wanted or "any model",
        "workers": sum(row.workers for row in serving),
        "queued": sum(row.queued for row in serving),
        "eta": min((row.eta for row in serving if row.workers), default=None),
    }
    return context


def _with_prompt(ask: GenerationAsk) -> GenerationAsk:
    return GenerationAsk(**{**ask.__dict__, "prompt": "estimate"})


async def _source_item(request: Request, image_id: str | None) -> GalleryItem | None:
    if not image_id:
        return None
    return await appstate.service(request).gallery.item(await security.viewer(request), image_id)


async def _page(
    request: Request,
    values: Mapping[str, Any],
    *,
    source_item: GalleryItem | None = None,
    error: str | None = None,
    field_errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    ask = forms.image_ask(values, source=_PLACEHOLDER_PNG if source_item else None)
    context = {
        "values": values,
        "models": await _model_rows(request, "image"),
        "samplers": SAMPLERS,
        "presets": forms.SIZE_PRESETS,
        "styles": await _style_rows(request),
        "source_item": source_item,
        "error": error,
        "field_errors": dict(field_errors or {}),
        **_post_processing_options(values, (await appstate.service(request).offers.current()).post_processors),
        **await _estimate(request, GenerationKind.IMAGE, ask, values),
    }
    return await templating.render(request, page="pages/generate_form.html", context=context, status_code=status_code)


async def generate_form(request: Request) -> Response:
    query = request.query_params
    values = forms.image_values(query)
    values["post_processing"] = alchemy_offers.chosen_post_processing(query)
    again = query.get("from")
    if again:
        item = await appstate.service(request).gallery.item(await security.viewer(request), again)
        values = forms.with_seed(
            forms.values_from_request(item.request.prompt, item.request.params, item.request.models),
            item.generation.seed,
        )
        values["post_processing"] = list(item.request.params.get("post_processing") or [])
    if not again:
        _served_defaults(values, query, await _model_rows(request, "image"))
    return await _page(request, values, source_item=await _source_item(request, query.get("source")))


def _served_defaults(values: dict[str, Any], query: Mapping[str, str], rows: list[dto.ModelStatus]) -> None:
    """Defaults a newcomer's first press of Generate can be served with: an online model (the busiest-served one)
    and, unless the link sets a size, the default size when its workers take it, else the largest preset they do."""
    online = sorted((row for row in rows if row.workers), key=lambda row: (-row.workers, row.name))
    if not values["model"] and online:
        values["model"] = online[0].name
    served = next((row for row in online if row.name == values["model"]), None)
    if served is None or "width" in query or "height" in query:
        return
    if values["width"] * values["height"] <= served.max_pixels:
        return
    fitting = [(w * h, w, h) for _, w, h in forms.SIZE_PRESETS if w * h <= served.max_pixels]
    if fitting:
        _, values["width"], values["height"] = max(fitting)


async def _read_upload_form(request: Request) -> tuple[dict[str, Any], bytes | None, bytes | None, str]:
    """The form's values and uploads; the temporary files are closed before the handler goes on."""
    async with request.form(max_files=4, max_part_size=forms.MAX_UPLOAD + 1024) as form:
        values = forms.image_values(form)
        values["post_processing"] = alchemy_offers.chosen_post_processing(form)
        source = await forms.upload(form, "source_image")
        mask = await forms.upload(form, "source_mask")
        return values, source, mask, forms.text(form, "source_from")


async def generate_submit(request: Request) -> Response:
    service = appstate.service(request)
    actor = await security.viewer(request)
    values: dict[str, Any] = dict(forms.IMAGE_DEFAULTS)
    source_item = None
    try:
        values, source, mask, source_from = await _read_upload_form(request)
        if source is None and source_from:
            source_item = await _source_item(request, source_from)
            source, _ = await service.gallery.load(actor, source_from)
        ask = _post_processed(values, _styled(values, forms.image_ask(values, source=source, mask=mask)))
        created = await service.requests.submit(actor, GenerationKind.IMAGE, ask)
    except errors.HordeError as exc:
        fields = exc.field_errors if isinstance(exc, errors.ValidationError) else {}
        return await _page(
            request, values, source_item=source_item, error=exc.message, field_errors=fields, status_code=400
        )
    return RedirectResponse(request.url_for("request-detail", request_id=created.id).path, status_code=303)


async def generate_estimate(request: Request) -> Response:
    form = await request.form()
    values = forms.image_values(form)
    values["post_processing"] = alchemy_offers.chosen_post_processing(form)
    has_source = forms.checkbox(form, "has_source") or bool(forms.text(form, "source_from"))
    ask = forms.image_ask(values, source=_PLACEHOLDER_PNG if has_source else None)
    context = await _estimate(request, GenerationKind.IMAGE, ask, values)
    return await templating.render(request, page="partials/generate_estimate.html", context=context)
