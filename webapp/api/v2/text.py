"""Text generation: ``generate/text/async``, ``text/status`` (GET, DELETE), ``text/pop`` and ``text/submit``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from horde.queue import dto
from horde.queue.service import GenerationAsk, GenerationKind, PopAsk, ResultState, SubmitAsk
from horde.webapp import appstate, metrics
from horde.webapp.api import caller, parsing, responses
from horde.webapp.api.schemas import generate as image_schemas, text as schemas
from horde.webapp.api.v2.generate import cancel_request, check_view, priority_ids, queue_or_estimate


def text_ask(data: schemas.GenerationInputKobold) -> GenerationAsk:
    params = data.params.model_dump(exclude_unset=True, exclude_none=True) if data.params else {}
    return GenerationAsk(
        prompt=data.prompt,
        params=params,
        models=tuple(data.models),
        trusted_workers=data.trusted_workers,
        slow_workers=data.slow_workers,
        workers=tuple(data.workers),
        worker_blacklist=data.worker_blacklist,
        allow_downgrade=data.allow_downgrade,
        style=data.style,
    )


async def text_async(request: Request) -> Response:
    data = await parsing.body(request, schemas.GenerationInputKobold)
    return await queue_or_estimate(request, GenerationKind.TEXT, text_ask(data), data.dry_run)


def status_view(st: dto.RequestStatus) -> dict[str, object]:
    generations = [
        {
            "worker_id": gen.worker_id,
            "worker_name": gen.worker_name,
            "model": gen.model,
            "state": gen.state,
            "text": gen.text or "",
            "seed": gen.seed,
            "gen_metadata": list(gen.gen_metadata),
        }
        for gen in st.generations
    ]
    return {**check_view(st), "generations": generations}


async def text_status(request: Request) -> Response:
    st = await appstate.service(request).requests.status(None, parsing.path_str(request, "id"))
    return JSONResponse(status_view(st))


async def text_cancel(request: Request) -> Response:
    return JSONResponse(status_view(await cancel_request(request)))


async def text_pop(request: Request) -> Response:
    data = await parsing.body(request, schemas.PopInputKobold)
    who = await caller.actor(request)
    ask = PopAsk(
        name=data.name,
        kind=GenerationKind.TEXT,
        models=tuple(data.models),
        nsfw=data.nsfw,
        threads=data.threads,
        amount=data.amount,
        bridge_agent=data.bridge_agent,
        require_upfront_kudos=data.require_upfront_kudos,
        blacklist=tuple(data.blacklist),
        priority_user_ids=priority_ids(data.priority_usernames),
        max_length=data.max_length,
        max_context_length=data.max_context_length,
    )
    popped = await appstate.service(request).workers.pop(who, ask)
    metrics.handed_out("text", len(popped.ids) if popped.request_id else 0)  # decoys are not counted
    if not popped.found:
        return JSONResponse(
            {"payload": {}, "id": None, "ids": [], "model": None, "ttl": None, "skipped": popped.skipped}
        )
    p = popped.params
    payload = schemas.GenerationPayloadKobold(
        prompt=popped.prompt,
        n=len(popped.ids),
        max_length=p.get("max_length"),
        max_context_length=p.get("max_context_length"),
        temperature=p.get("temperature"),
        top_k=p.get("top_k"),
        top_p=p.get("top_p"),
        rep_pen=p.get("rep_pen"),
        stop_sequence=p.get("stop_sequence") or [],
    )
    return JSONResponse(
        {
            "payload": payload.model_dump(mode="json", exclude_none=True),
            "id": popped.ids[0],
            "ids": list(popped.ids),
            "model": popped.model,
            "ttl": popped.ttl,
            "skipped": {},
            "messages": [],
        }
    )


async def text_submit(request: Request) -> Response:
    data = await parsing.body(request, schemas.SubmitInputKobold)
    who = await caller.actor(request)
    ask = SubmitAsk(
        job_id=data.id,
        state=ResultState(data.state),
        seed=data.seed,
        text=data.generation,
        gen_metadata=tuple(data.gen_metadata),
    )
    result = await appstate.service(request).workers.submit(who, ask)
    return responses.ok(image_schemas.GenerationSubmitted(reward=round(result.reward, 2)))
