"""Moderation: prompt ``filters`` (CRUD and a check) and IP timeouts (``operations/ipaddr``)."""

from __future__ import annotations

import ipaddress

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from horde.queue import dto, errors
from horde.queue.service import clock
from horde.webapp import appstate
from horde.webapp.api import caller, parsing, responses
from horde.webapp.api.schemas import base, moderation as schemas


def filter_view(f: dto.FilterInfo) -> dict[str, object]:
    view = schemas.FilterDetails(
        id=str(f.id), regex=f.regex, filter_type=f.filter_type, description=f.description, replacement=f.replacement
    )
    return view.model_dump(mode="json", exclude_none=True)


async def filters(request: Request) -> Response:
    q = parsing.query(request, schemas.FiltersQuery)
    who = await caller.actor(request)
    found = await appstate.service(request).moderation.list_filters(who, q.filter_type)
    if q.contains:
        found = [f for f in found if q.contains in f.regex or q.contains in (f.description or "")]
    return JSONResponse([filter_view(f) for f in found])


async def check_prompt(request: Request) -> Response:
    """Which filter types a prompt matches (moderators; AI Horde's ``POST /filters``)."""
    data = await parsing.body(request, schemas.FilterCheckInput)
    who = await caller.actor(request)
    svc = appstate.service(request)
    await svc.moderation.list_filters(who, -1)  # the moderator check
    matches = await svc.moderation.check_prompt(data.prompt)
    if data.filter_type is not None:
        matches = [m for m in matches if m == data.filter_type]
    return responses.ok(schemas.FilterPromptSuspicion(suspicion=len(matches), matches=matches))


async def add_filter(request: Request) -> Response:
    data = await parsing.body(request, schemas.PutNewFilter)
    who = await caller.actor(request)
    made = await appstate.service(request).moderation.put_filter(
        who,
        regex=data.regex,
        filter_type=data.filter_type,
        description=data.description,
        replacement=data.replacement,
    )
    return JSONResponse(filter_view(made))


def filter_id(request: Request) -> int:
    return parsing.path_int(request, "filter_id", errors.FilterNotFoundError)


async def one_filter(request: Request) -> Response:
    who = await caller.actor(request)
    wanted = filter_id(request)
    for f in await appstate.service(request).moderation.list_filters(who):
        if f.id == wanted:
            return JSONResponse(filter_view(f))
    raise errors.FilterNotFoundError


async def patch_filter(request: Request) -> Response:
    data = await parsing.body(request, schemas.PatchExistingFilter)
    who = await caller.actor(request)
    svc = appstate.service(request)
    wanted = filter_id(request)
    current = next((f for f in await svc.moderation.list_filters(who) if f.id == wanted), None)
    if current is None:
        raise errors.FilterNotFoundError
    changed = await svc.moderation.put_filter(
        who,
        filter_id=wanted,
        regex=data.regex if data.regex is not None else current.regex,
        filter_type=data.filter_type if data.filter_type is not None else current.filter_type,
        description=data.description if data.description is not None else current.description,
        replacement=data.replacement if data.replacement is not None else current.replacement,
    )
    return JSONResponse(filter_view(changed))


async def delete_filter(request: Request) -> Response:
    who = await caller.actor(request)
    await appstate.service(request).moderation.delete_filter(who, filter_id(request))
    return responses.ok(base.SimpleResponse())


# --- IP timeouts ----------------------------------------------------------------------------------------------


def ip_of(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=False)) if "/" in value else str(ipaddress.ip_address(value))
    except ValueError as exc:
        raise errors.ValidationError("Not an IP address.", {"ipaddr": "not an IP address"}) from exc


async def ip_timeouts(request: Request) -> Response:
    who = await caller.actor(request)
    now = clock.now()
    found = await appstate.service(request).moderation.ip_timeouts(who)
    return responses.ok(
        [schemas.IPTimeout(ipaddr=t.ip, seconds=max(0, int((t.expires_at - now).total_seconds()))) for t in found]
    )


async def add_ip_timeout(request: Request) -> Response:
    data = await parsing.body(request, schemas.AddTimeoutIPInput)
    who = await caller.actor(request)
    await appstate.service(request).moderation.put_ip_timeout(who, ip_of(data.ipaddr), hours=data.hours)
    return responses.ok(base.SimpleResponse())


async def delete_ip_timeout(request: Request) -> Response:
    data = await parsing.body(request, schemas.DeleteTimeoutIPInput)
    who = await caller.actor(request)
    await appstate.service(request).moderation.delete_ip_timeout(who, ip_of(data.ipaddr))
    return responses.ok(base.SimpleResponse())
