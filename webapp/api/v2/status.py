"""The horde's state: ``status/heartbeat``, ``status/performance``, ``status/models`` and the
``stats/img`` and ``stats/text`` totals and per-model counts."""

from __future__ import annotations

from importlib import metadata

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from horde.queue import dto
from horde.webapp import appstate
from horde.webapp.api import parsing, responses
from horde.webapp.api.schemas import status as schemas


def version() -> str:
    try:
        return metadata.version("horde")
    except metadata.PackageNotFoundError:  # pragma: no cover - always installed
        return "0"


VERSION = version()


async def heartbeat(request: Request) -> Response:
    return responses.ok(schemas.HordeHeartbeat(message="OK", version=VERSION))


async def performance(request: Request) -> Response:
    p = await appstate.service(request).stats.performance()
    return responses.ok(
        schemas.HordePerformance(
            queued_requests=p.queued_requests,
            queued_text_requests=p.queued_text_requests,
            worker_count=p.worker_count,
            thread_count=p.thread_count,
            text_worker_count=p.text_worker_count,
            text_thread_count=p.text_thread_count,
            queued_megapixelsteps=p.queued_megapixelsteps,
            queued_tokens=p.queued_tokens,
            past_minute_megapixelsteps=p.past_minute_megapixelsteps,
            past_minute_tokens=p.past_minute_tokens,
            interrogator_count=p.interrogator_count,
            interrogator_thread_count=p.interrogator_thread_count,
            queued_forms=p.queued_forms,
        )
    )


def model_view(m: dto.ModelStatus) -> schemas.ActiveModel:
    return schemas.ActiveModel(
        name=m.name,
        count=m.workers,
        performance=m.performance,
        queued=m.queued_things,
        jobs=m.queued,
        eta=m.eta,
        type="text" if m.kind == "text" else "image",
    )


async def models(request: Request) -> Response:
    q = parsing.query(request, schemas.ModelsQuery)
    found = await appstate.service(request).stats.models(q.type)
    shown = [
        model_view(m)
        for m in found
        if (q.min_count is None or m.workers >= q.min_count) and (q.max_count is None or m.workers <= q.max_count)
    ]
    return responses.ok(shown)


async def model(request: Request) -> Response:
    q = parsing.query(request, schemas.ModelsQuery)
    found = await appstate.service(request).stats.models(q.type, parsing.path_str(request, "model_name"))
    return responses.ok([model_view(m) for m in found])


async def img_totals(request: Request) -> Response:
    totals = await appstate.service(request).stats.totals("image")
    return JSONResponse({period: {"images": n, "ps": round(mps * 1_000_000)} for period, (n, mps) in totals.items()})


async def text_totals(request: Request) -> Response:
    totals = await appstate.service(request).stats.totals("text")
    return JSONResponse({period: {"requests": n, "tokens": round(t)} for period, (n, t) in totals.items()})


async def img_models(request: Request) -> Response:
    parsing.query(request, schemas.StatsQuery)
    return JSONResponse(await appstate.service(request).stats.model_totals("image"))


async def text_models(request: Request) -> Response:
    parsing.query(request, schemas.StatsQuery)
    return JSONResponse(await appstate.service(request).stats.model_totals("text"))
