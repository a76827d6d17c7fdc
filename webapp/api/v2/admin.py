"""The moderation API's twins of the /admin panel, over the same service methods: deleting users, blocking a
worker's address, messages to workers' owners, the horde's modes and news."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from horde.queue import dto, errors
from horde.webapp import appstate
from horde.webapp.api import caller, parsing, responses
from horde.webapp.api.schemas import admin as schemas, base, status as status_s


async def delete_user(request: Request) -> Response:
    """Soft-delete an account (the user themself or a moderator); ``PUT`` with ``undelete`` brings it back."""
    user_id = parsing.path_int(request, "user_id", errors.UserNotFoundError)
    who = await caller.actor(request)
    gone = await appstate.service(request).user_moderation.delete(who, user_id)
    return responses.ok(schemas.DeletedUser(deleted_id=str(gone.id), deleted_name=gone.display_name))


async def block_worker_ip(request: Request) -> Response:
    data = await parsing.body(request, schemas.BlockWorkerIPInput)
    who = await caller.actor(request)
    worker_id = parsing.path_str(request, "worker_id")
    await appstate.service(request).moderation.ips.block_worker_ip(who, worker_id, days=data.days)
    return responses.ok(base.SimpleResponse())


async def unblock_worker_ip(request: Request) -> Response:
    who = await caller.actor(request)
    await appstate.service(request).moderation.ips.unblock_worker_ip(who, parsing.path_str(request, "worker_id"))
    return responses.ok(base.SimpleResponse())


# --- messages -------------------------------------------------------------------------------------------------


def message_view(m: dto.WorkerMessage) -> dict[str, Any]:
    view = schemas.WorkerMessage(
        id=str(m.id),
        worker_id=m.worker_id,
        user_id=str(m.owner_id),
        message=m.message,
        origin=m.origin,
        expiry=m.expires_at.isoformat(),
    )
    return view.model_dump(mode="json", exclude_none=True)


async def pop_messages(request: Request, who: dto.Actor, worker_name: str) -> list[dict[str, Any]]:
    """What a pop answers in ``messages``: the worker's active messages (AI Horde sends them on every pop)."""
    found = await appstate.service(request).worker_moderation.pop_messages(who, worker_name)
    return [message_view(m) for m in found]


async def messages(request: Request) -> Response:
    q = parsing.query(request, schemas.MessagesQuery)
    who = await caller.actor(request)
    found = await appstate.service(request).worker_moderation.messages(
        who, worker_id=q.worker_id, user_id=q.user_id, validity=q.validity
    )
    return JSONResponse([message_view(m) for m in found])


async def send_message(request: Request) -> Response:
    data = await parsing.body(request, schemas.MessageInput)
    who = await caller.actor(request)
    sent = await appstate.service(request).worker_moderation.send_message(
        who, data.worker_id, data.message, expiry_hours=data.expiry, origin=data.origin
    )
    return JSONResponse(message_view(sent))


def message_id(request: Request) -> int:
    return parsing.path_int(request, "message_id", errors.MessageNotFoundError)


async def message(request: Request) -> Response:
    who = await caller.actor(request)
    wanted = message_id(request)
    for m in await appstate.service(request).worker_moderation.messages(who, validity="all"):
        if m.id == wanted:
            return JSONResponse(message_view(m))
    raise errors.MessageNotFoundError


async def delete_message(request: Request) -> Response:
    who = await caller.actor(request)
    await appstate.service(request).worker_moderation.delete_message(who, message_id(request))
    return responses.ok(base.SimpleResponse())


# --- modes and news -------------------------------------------------------------------------------------------


async def modes(request: Request) -> Response:
    """The modes; raid mode is shown to moderators only, as upstream."""
    who = await caller.actor(request)
    current = await appstate.service(request).modes.current()
    return responses.ok(
        status_s.HordeModes(
            maintenance_mode=current.maintenance,
            invite_only_mode=current.invite_only,
            raid_mode=current.raid and who.is_moderator,
        )
    )


async def change_modes(request: Request) -> Response:
    data = await parsing.body(request, schemas.ModesInput)
    who = await caller.actor(request)
    changed = await appstate.service(request).modes.change(
        who, maintenance=data.maintenance_mode, invite_only=data.invite_only_mode, raid=data.raid_mode
    )
    return responses.ok(
        status_s.HordeModes(
            maintenance_mode=changed.maintenance, invite_only_mode=changed.invite_only, raid_mode=changed.raid
        )
    )


async def news(request: Request) -> Response:
    items = await appstate.service(request).modes.news()
    return JSONResponse(
        [
            schemas.Newspiece(
                date_published=n.created_at.date().isoformat(), newspiece=n.body, importance=n.importance, title=n.title
            ).model_dump(mode="json")
            for n in items
        ]
    )
