"""Styles: ``/v2/styles/image`` and ``/v2/styles/text`` (list, create, one by id or name, change, delete)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from horde.queue import dto
from horde.queue.service import GenerationKind
from horde.webapp import appstate
from horde.webapp.api import caller, parsing, responses
from horde.webapp.api.schemas import base, styles as schemas

INPUT = {GenerationKind.IMAGE: schemas.ModelStyleInputStable, GenerationKind.TEXT: schemas.ModelStyleInputKobold}
PATCH = {GenerationKind.IMAGE: schemas.ModelStylePatchStable, GenerationKind.TEXT: schemas.ModelStylePatchKobold}


def _kind(request: Request) -> GenerationKind:
    return GenerationKind.TEXT if "/styles/text" in request.url.path else GenerationKind.IMAGE


def style_view(style: dto.StyleInfo) -> dict[str, object]:
    common = {
        "id": style.id,
        "name": style.name,
        "info": style.info,
        "prompt": style.prompt,
        "public": style.public,
        "models": list(style.models),
        "use_count": style.uses,
        "creator": style.creator,
    }
    if style.kind == GenerationKind.TEXT.value:
        text = schemas.StyleKobold.model_validate({**common, "params": style.params})
        return text.model_dump(mode="json", exclude_none=True)
    image = schemas.StyleStable.model_validate({**common, "params": style.params})
    return image.model_dump(mode="json", exclude_none=True)


async def listing(request: Request) -> Response:
    q = parsing.query(request, schemas.StylesQuery)
    viewer = await caller.actor(request) if caller.api_key(request) else None
    styles = await appstate.service(request).styles.listing(_kind(request), viewer=viewer, sort=q.sort, page=q.page)
    return JSONResponse([style_view(s) for s in styles])


async def create(request: Request) -> Response:
    kind = _kind(request)
    data = await parsing.body(request, INPUT[kind])
    who = await caller.actor(request)
    fields = data.model_dump(exclude_none=True)
    style = await appstate.service(request).styles.create(who, kind, **fields)
    return responses.ok(schemas.StyleModify(id=style.id), status=200)


async def one(request: Request) -> Response:
    style = await appstate.service(request).styles.get(parsing.path_str(request, "style_id"), _kind(request))
    return JSONResponse(style_view(style))


async def by_name(request: Request) -> Response:
    style = await appstate.service(request).styles.get(parsing.path_str(request, "name"), _kind(request))
    return JSONResponse(style_view(style))


async def modify(request: Request) -> Response:
    kind = _kind(request)
    style_id = parsing.path_str(request, "style_id")
    svc = appstate.service(request)
    await svc.styles.get(style_id, kind)
    data = await parsing.body(request, PATCH[kind])
    who = await caller.actor(request)
    style = await svc.styles.update(who, style_id, **data.model_dump(exclude_none=True))
    return responses.ok(schemas.StyleModify(id=style.id))


async def delete(request: Request) -> Response:
    style_id = parsing.path_str(request, "style_id")
    svc = appstate.service(request)
    await svc.styles.get(style_id, _kind(request))
    await svc.styles.delete(await caller.actor(request), style_id)
    return responses.ok(base.SimpleResponse())
