"""Alchemy: ``interrogate/async``, ``interrogate/status/{id}`` (GET, DELETE); the alchemists' ``interrogate/pop``
and ``interrogate/submit``; and the signed URLs of source images and post-processed results."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from horde.queue import dto, errors
from horde.queue.service import AlchemyAsk, AlchemyPopAsk, AlchemySubmitAsk
from horde.webapp import appstate, metrics
from horde.webapp.api import caller, parsing, responses, signing
from horde.webapp.api.schemas import interrogate as schemas
from horde.webapp.api.v2.generate import BadSignatureError, base_url, decode_base64, priority_ids

SOURCE = "source"  #: a source image, for the alchemist working on it
FORM_UPLOAD = "alchemy-upload"  #: a post-processed image, from the alchemist
FORM_RESULT = "alchemy"  #: a post-processed image, for the requester


def signed(request: Request, purpose: str, object_id: str) -> str:
    signer = appstate.service(request).signer
    return signing.signed_url(base_url(request), signer, purpose, object_id, ttl=signing.DOWNLOAD_TTL)


def status_view(request: Request, st: dto.InterrogationStatus) -> dict[str, object]:
    forms = []
    for form in st.forms:
        result = form.result
        if result is not None and form.result_key is not None:  # a post-processor: its image's URL
            result = {form.form: signed(request, FORM_RESULT, form.id)}
        forms.append({"form": form.form, "state": form.state, "result": result})
    return {"state": st.state, "forms": forms}


async def interrogate_async(request: Request) -> Response:
    data = await parsing.body(request, schemas.ModelInterrogationInputStable)
    who = await caller.actor(request)
    ask = AlchemyAsk(
        forms=tuple(form.model_dump() for form in data.forms),
        source_image=decode_base64(data.source_image, "source_image"),
        slow_workers=data.slow_workers,
        trusted_workers=data.trusted_workers,
    )
    created = await appstate.service(request).interrogations.submit(who, ask)
    return responses.ok(schemas.RequestInterrogationResponse(id=created.id, message=created.message), status=202)


async def interrogate_status(request: Request) -> Response:
    st = await appstate.service(request).interrogations.status(parsing.path_str(request, "id"))
    return JSONResponse(status_view(request, st))


async def interrogate_cancel(request: Request) -> Response:
    """Cancel with the caller's key; without one, holding the id is enough (horde-sdk sends no key)."""
    who = await caller.actor(request) if caller.api_key(request) is not None else None
    st = await appstate.service(request).interrogations.cancel(who, parsing.path_str(request, "id"))
    return JSONResponse(status_view(request, st))


async def interrogate_pop(request: Request) -> Response:
    data = await parsing.body(request, schemas.InterrogationPopInput)
    who = await caller.actor(request)
    ask = AlchemyPopAsk(
        name=data.name,
        forms=tuple(data.forms),
        amount=data.amount,
        max_tiles=data.max_tiles,
        threads=data.threads,
        bridge_agent=data.bridge_agent,
        priority_user_ids=priority_ids(data.priority_usernames),
    )
    popped = await appstate.service(request).alchemists.pop(who, ask)
    metrics.handed_out("interrogation", len(popped.forms))
    forms = [
        {
            "id": form.id,
            "form": form.form,
            "payload": form.payload,
            "source_image": signed(request, SOURCE, form.interrogation_id),
            "r2_upload": signed(request, FORM_UPLOAD, signing.handout_id(form.id, form.handout))
            if form.uploads
            else None,
        }
        for form in popped.forms
    ]
    return JSONResponse({"forms": forms, "skipped": popped.skipped})


async def interrogate_submit(request: Request) -> Response:
    data = await parsing.body(request, schemas.SubmitInputInterrogation)
    who = await caller.actor(request)
    ask = AlchemySubmitAsk(form_id=data.id, result=data.result, state=data.state)
    result = await appstate.service(request).alchemists.submit(who, ask)
    return JSONResponse({"reward": round(result.reward, 2)})


# --- signed URLs ----------------------------------------------------------------------------------------------


def _verify(request: Request, purpose: str, object_id: str) -> None:
    q = request.query_params
    if not appstate.service(request).signer.verify(purpose, object_id, q.get("expires"), q.get("signature")):
        raise BadSignatureError


def _image_response(data: bytes) -> Response:
    media = (
        "image/png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "image/jpeg" if data[:2] == b"\xff\xd8" else "image/webp"
    )
    return Response(data, media_type=media, headers={"Cache-Control": "private, max-age=1800"})


async def source(request: Request) -> Response:
    """An interrogation's source image, for the alchemist that popped one of its forms."""
    interrogation_id = parsing.path_str(request, "id")
    _verify(request, SOURCE, interrogation_id)
    data = await appstate.service(request).alchemists.source_image(interrogation_id)
    if data is None:
        raise errors.NotFoundError("This image is gone.")
    return _image_response(data)


async def upload(request: Request) -> Response:
    """An alchemist's PUT of a post-processed image to its form's ``r2_upload`` URL."""
    handout_id = parsing.path_str(request, "id")
    _verify(request, FORM_UPLOAD, handout_id)
    form_id, handout = signing.parse_handout_id(handout_id)
    await appstate.service(request).alchemists.upload(form_id, await request.body(), handout=handout)
    return Response(status_code=200)


async def result(request: Request) -> Response:
    """A post-processed image, for whoever holds the status's signed URL."""
    form_id = parsing.path_str(request, "id")
    _verify(request, FORM_RESULT, form_id)
    data = await appstate.service(request).alchemists.form_image(form_id)
    if data is None:
        raise errors.NotFoundError("This result is gone.")
    return _image_response(data)
