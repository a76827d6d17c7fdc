"""Image generation: ask (``generate/async``), follow (``check``, ``status``), cancel, rate; and the worker side:
``pop``, ``submit`` and the signed upload and download URLs of results."""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import warnings

from PIL import Image, UnidentifiedImageError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from horde.queue import dto, errors
from horde.queue.service import GenerationAsk, GenerationKind, PopAsk, Rating, ResultState, SubmitAsk
from horde.webapp import appstate, metrics
from horde.webapp.api import caller, parsing, responses, signing
from horde.webapp.api.schemas import generate as schemas
from horde.webapp.api.v2 import admin as admin_api


def base_url(request: Request) -> str:
    public: str | None = request.app.state.settings.public_url
    return (public or str(request.base_url)).rstrip("/")


def decode_base64(value: str, field: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise errors.ValidationError(f"{field} must be base64 (URLs are not fetched).", {field: "not base64"}) from exc


def is_webp(data: bytes) -> bool:
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def to_webp(data: bytes) -> bytes:
    """Results go out as webp; bytes that are no image (some test workers upload raw pixels) go out unchanged."""
    if is_webp(data):
        return data
    try:
        with warnings.catch_warnings():  # a header declaring a huge image is not decoded: it goes out as it came
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                out = io.BytesIO()
                img.save(out, format="WEBP", quality=95)
                return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return data


async def as_webp(data: bytes) -> bytes:
    """``to_webp``, on a thread only when there is an image to convert (workers mostly upload webp already)."""
    return data if is_webp(data) else await asyncio.to_thread(to_webp, data)


def priority_ids(usernames: list[str]) -> tuple[int, ...]:
    ids = []
    for name in usernames:
        _, _, number = name.rpartition("#")
        if not (number.isascii() and number.isdigit()) or len(number) > 9:
            error = errors.ValidationError(f"{name!r} is not alias#id.", {"priority_usernames": "use alias#id"})
            error.rc = "InvalidPriorityUsername"
            raise error
        ids.append(int(number))
    return tuple(ids)


def check_view(st: dto.RequestStatus) -> dict[str, object]:
    return {
        "finished": st.finished,
        "processing": st.processing,
        "restarted": st.restarted,
        "waiting": st.waiting,
        "done": st.done,
        "faulted": st.faulted,
        "wait_time": st.wait_time,
        "queue_position": st.queue_position,
        "kudos": round(st.kudos, 2),
        "is_possible": st.is_possible,
    }


# --- requester ------------------------------------------------------------------------------------------------


def image_ask(data: schemas.GenerationInputStable) -> GenerationAsk:
    params = data.params.model_dump(exclude_unset=True, exclude_none=True) if data.params else {}
    return GenerationAsk(
        prompt=data.prompt,
        params=params,
        models=tuple(data.models),
        nsfw=data.nsfw,
        censor_nsfw=data.censor_nsfw,
        trusted_workers=data.trusted_workers,
        slow_workers=data.slow_workers,
        workers=tuple(data.workers),
        worker_blacklist=data.worker_blacklist,
        r2=data.r2,
        shared=data.shared,
        source_image=decode_base64(data.source_image, "source_image") if data.source_image else None,
        source_mask=decode_base64(data.source_mask, "source_mask") if data.source_mask else None,
        source_processing=data.source_processing,
        allow_downgrade=data.allow_downgrade,
        style=data.style,
    )


def created_view(created: dto.RequestCreated) -> schemas.RequestAsync:
    return schemas.RequestAsync(
        id=created.id,
        kudos=round(created.kudos, 2),
        message=created.message,
        warnings=[schemas.RequestAsyncWarning(code=w["code"], message=w["message"]) for w in created.warnings],
    )


async def queue_or_estimate(request: Request, kind: GenerationKind, ask: GenerationAsk, dry_run: bool) -> Response:
    """Answer ``generate/async`` and ``generate/text/async``: the cost for a dry run, else 202 and the new id."""
    who = await caller.actor(request)
    svc = appstate.service(request)
    if dry_run:
        estimate = await svc.requests.estimate(who, kind, ask)
        return responses.ok(schemas.DryRunKudos(kudos=round(estimate.kudos, 2)))
    created = await svc.requests.submit(who, kind, ask)
    return responses.ok(created_view(created), status=202)


async def generate_async(request: Request) -> Response:
    data = await parsing.body(request, schemas.GenerationInputStable)
    return await queue_or_estimate(request, GenerationKind.IMAGE, image_ask(data), data.dry_run)


async def check(request: Request) -> Response:
    st = await appstate.service(request).requests.status(None, parsing.path_str(request, "id"), with_generations=False)
    return JSONResponse(check_view(st))


async def image_generation(request: Request, st: dto.RequestStatus, gen: dto.Generation) -> dict[str, object]:
    if st.r2:
        signer = appstate.service(request).signer
        img = signing.signed_url(base_url(request), signer, signing.DOWNLOAD, gen.id, ttl=signing.DOWNLOAD_TTL)
    else:
        data = await appstate.service(request).results.load_job_result(gen.id)
        img = base64.b64encode(await as_webp(data)).decode() if data is not None else "N/A"
    return {
        "worker_id": gen.worker_id,
        "worker_name": gen.worker_name,
        "model": gen.model,
        "state": gen.state,
        "img": img,
        "seed": str(gen.seed),
        "id": gen.id,
        "censored": gen.censored,
        "gen_metadata": list(gen.gen_metadata),
    }


async def status_view(request: Request, st: dto.RequestStatus) -> dict[str, object]:
    generations = [await image_generation(request, st, gen) for gen in st.generations]
    return {**check_view(st), "generations": generations, "shared": st.shared}


async def status(request: Request) -> Response:
    st = await appstate.service(request).requests.status(None, parsing.path_str(request, "id"))
    return JSONResponse(await status_view(request, st))


async def cancel_request(request: Request) -> dto.RequestStatus:
    """Cancel with the caller's key; without one, holding the request's id is enough (horde-sdk sends no key)."""
    svc = appstate.service(request)
    request_id = parsing.path_str(request, "id")
    if caller.api_key(request) is None:
        return await svc.requests.cancel_without_key(request_id, ip=appstate.client_ip(request))
    return await svc.requests.cancel(await caller.actor(request), request_id)


async def cancel(request: Request) -> Response:
    return JSONResponse(await status_view(request, await cancel_request(request)))


async def rate(request: Request) -> Response:
    data = await parsing.body(request, schemas.AestheticsPayload)
    who = await caller.actor(request)
    ratings = tuple(Rating(r.id, r.rating, r.artifacts) for r in data.ratings)
    reward = await appstate.service(request).ratings.rate(
        who, parsing.path_str(request, "id"), best=data.best, ratings=ratings
    )
    return responses.ok(schemas.GenerationRated(reward=reward))


# --- worker ---------------------------------------------------------------------------------------------------


def pop_ask(data: schemas.PopInputStable) -> PopAsk:
    return PopAsk(
        name=data.name,
        kind=GenerationKind.IMAGE,
        models=tuple(data.models),
        max_pixels=data.max_pixels,
        nsfw=data.nsfw,
        threads=data.threads,
        amount=data.amount,
        bridge_agent=data.bridge_agent,
        allow_img2img=data.allow_img2img,
        allow_painting=data.allow_painting,
        allow_lora=data.allow_lora,
        allow_post_processing=data.allow_post_processing,
        post_processors=tuple(data.post_processors) if data.post_processors is not None else None,
        csam_guard=data.csam_guard is not False,
        limit_max_steps=data.limit_max_steps,
        require_upfront_kudos=data.require_upfront_kudos,
        blacklist=tuple(data.blacklist),
        priority_user_ids=priority_ids(data.priority_usernames),
    )


async def source_b64(request: Request, key: str | None) -> str | None:
    if key is None:
        return None
    data = await appstate.service(request).results.load(key)
    return base64.b64encode(data).decode() if data is not None else None


async def pop_view(request: Request, popped: dto.PoppedJob) -> dict[str, object]:
    if not popped.found:
        return {"payload": {}, "id": None, "ids": [], "model": None, "ttl": None, "skipped": popped.skipped}
    p = popped.params
    payload = schemas.GenerationPayloadStable(
        prompt=popped.prompt,
        ddim_steps=p.get("steps"),
        n_iter=len(popped.ids),
        seed=str(popped.seeds[0]),
        sampler_name=p.get("sampler_name"),
        cfg_scale=p.get("cfg_scale"),
        denoising_strength=p.get("denoising_strength"),
        width=p.get("width"),
        height=p.get("height"),
        karras=p.get("karras"),
        tiling=p.get("tiling"),
        hires_fix=p.get("hires_fix"),
        clip_skip=p.get("clip_skip"),
        seed_variation=p.get("seed_variation"),
        post_processing=p.get("post_processing") or [],
        loras=p.get("loras") or [],
        control_type=p.get("control_type"),
        use_nsfw_censor=popped.nsfw_censor,
    )
    signer, base = appstate.service(request).signer, base_url(request)
    uploads = [
        signing.signed_url(base, signer, signing.UPLOAD, signing.handout_id(job_id, handout), ttl=signing.UPLOAD_TTL)
        for job_id, handout in zip(popped.ids, popped.handouts, strict=True)
    ]
    view: dict[str, object] = {
        "payload": payload.model_dump(mode="json", exclude_none=True),
        "id": popped.ids[0],
        "ids": list(popped.ids),
        "model": popped.model,
        "ttl": popped.ttl,
        "skipped": {},
        "r2_upload": uploads[0],
        "r2_uploads": uploads,
        "messages": [],
    }
    if popped.source_image_key:
        view["source_image"] = await source_b64(request, popped.source_image_key)
        view["source_processing"] = popped.source_processing or "img2img"
    if popped.source_mask_key:
        view["source_mask"] = await source_b64(request, popped.source_mask_key)
    return view


async def pop(request: Request) -> Response:
    data = await parsing.body(request, schemas.PopInputStable)
    who = await caller.actor(request)
    popped = await appstate.service(request).workers.pop(who, pop_ask(data))
    metrics.handed_out("image", len(popped.ids) if popped.request_id else 0)  # decoys are not counted
    view = await pop_view(request, popped)
    view["messages"] = await admin_api.pop_messages(request, who, data.name)
    return JSONResponse(view)


async def submit(request: Request) -> Response:
    data = await parsing.body(request, schemas.SubmitInput)
    who = await caller.actor(request)
    image = None
    if data.state != "faulted" and data.generation not in ("", "R2"):
        image = decode_base64(data.generation, "generation")
    ask = SubmitAsk(
        job_id=data.id,
        state=ResultState(data.state),
        seed=data.seed,
        image=image,
        gen_metadata=tuple(data.gen_metadata),
    )
    result = await appstate.service(request).workers.submit(who, ask)
    return responses.ok(schemas.GenerationSubmitted(reward=round(result.reward, 2)))


# --- signed result URLs ---------------------------------------------------------------------------------------


class BadSignatureError(errors.ForbiddenError):
    """This link is not valid or has expired."""

    rc = "InvalidSignature"


def _verify(request: Request, purpose: str, job_id: str) -> None:
    q = request.query_params
    if not appstate.service(request).signer.verify(purpose, job_id, q.get("expires"), q.get("signature")):
        raise BadSignatureError


async def upload(request: Request) -> Response:
    """A worker's PUT of a result to its ``r2_upload`` URL: any bytes, any (or no) content type; answers 200."""
    handout_id = parsing.path_str(request, "id")
    _verify(request, signing.UPLOAD, handout_id)
    job_id, handout = signing.parse_handout_id(handout_id)  # signed by us: well formed
    data = await request.body()
    await appstate.service(request).workers.upload_result(job_id, data, handout=handout)
    return Response(status_code=200)


async def download(request: Request) -> Response:
    job_id = parsing.path_str(request, "id")
    _verify(request, signing.DOWNLOAD, job_id)
    data = await appstate.service(request).results.load_job_result(job_id)
    if data is None:
        raise errors.NotFoundError("This result is gone.")
    return Response(data, media_type="image/webp", headers={"Cache-Control": "private, max-age=1800"})
