"""Accounts and kudos: ``find_user``, ``users``, ``users/{id}``, ``kudos/transfer`` and ``sharedkeys``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from horde.queue import dto, errors
from horde.queue.service import Role, clock
from horde.webapp import appstate
from horde.webapp.api import caller, parsing, responses
from horde.webapp.api.schemas import base, users as schemas

#: the role flags ``PUT /v2/users/{id}`` takes, by upstream's names (admin is not among them, as upstream)
FLAG_FIELDS = ("moderator", "trusted", "flagged", "customizer", "vpn", "service", "education", "special")
OTHER_FIELDS = (
    *("kudos", "kudos_reason", "monthly_kudos", "concurrency", "worker_invited", "username", "contact"),
    "admin_comment",
)


def user_view(info: dto.UserInfo, sharedkey_ids: list[str] | None = None) -> schemas.UserDetails:
    """Public fields always; ``vpn``, ``special``, ``contact`` and the comment where the service says the caller
    may see them (the user themself or a moderator)."""
    private = info.private
    return schemas.UserDetails(
        username=info.display_name,
        id=info.id,
        kudos=round(info.kudos, 2),
        concurrency=info.concurrency,
        worker_count=info.worker_count,
        account_age=max(0, int((clock.now() - info.created_at).total_seconds())),
        moderator=info.moderator,
        trusted=info.trusted,
        flagged=info.flagged,
        suspicious=info.suspicion,
        pseudonymous=info.kind.value == "pseudonymous",
        service=info.has(Role.SERVICE),
        education=info.has(Role.EDUCATION),
        customizer=info.has(Role.CUSTOMIZER),
        deleted=info.deleted,
        worker_invited=info.worker_invited,
        sharedkey_ids=sharedkey_ids,
        vpn=info.has(Role.VPN) if private else None,
        special=info.has(Role.SPECIAL) if private else None,
        contact=info.contact,
        admin_comment=info.admin_comment,
        kudos_details=schemas.UserKudosDetails(recurring=round(info.recurring, 2)),
        monthly_kudos=monthly_view(info),
        evaluating_kudos=round(info.evaluating_kudos, 2) if info.evaluating_kudos is not None else None,
    )


def monthly_view(info: dto.UserInfo) -> schemas.MonthlyKudos | None:
    if info.monthly_kudos is None:
        return None
    last = info.monthly_received_at.isoformat() if info.monthly_received_at is not None else None
    return schemas.MonthlyKudos(amount=round(info.monthly_kudos), last_received=last)


def dump(model: base.Output) -> dict[str, object]:
    return model.model_dump(mode="json", exclude_none=True, by_alias=True)


async def find_user(request: Request) -> Response:
    who = await caller.actor(request)
    svc = appstate.service(request)
    info = await svc.users.me(who)
    keys = [] if who.is_anonymous else [k.id for k in await svc.sharedkeys.for_user(who.user_id)]
    return JSONResponse(dump(user_view(info, keys)))


async def users(request: Request) -> Response:
    q = parsing.query(request, schemas.UsersQuery)
    who = await caller.actor(request)
    listing = await appstate.service(request).users.listing(who, page=q.page, sort=q.sort)
    return JSONResponse([dump(user_view(u)) for u in listing])


async def user(request: Request) -> Response:
    user_id = parsing.path_int(request, "user_id", errors.UserNotFoundError)
    who = await caller.actor(request)
    return JSONResponse(dump(user_view(await appstate.service(request).users.get(who, user_id))))


async def modify_user(request: Request) -> Response:
    user_id = parsing.path_int(request, "user_id", errors.UserNotFoundError)
    data = await parsing.body(request, schemas.ModifyUserInput)
    who = await caller.actor(request)
    fields = data.model_dump(exclude_none=True)
    if not fields:
        error = errors.ValidationError("Nothing to change.")
        error.rc = "NoUserModSelected"
        raise error
    changes = {k: v for k, v in fields.items() if k in FLAG_FIELDS or k in OTHER_FIELDS}
    if fields.get("reset_suspicion"):
        changes["reset_suspicion"] = True
    svc = appstate.service(request)
    if fields.get("undelete"):
        await svc.user_moderation.undelete(who, user_id)
    info = await svc.users.modify(who, user_id, **changes) if changes else await svc.users.get(who, user_id)
    flags = {name: info.has(Role(name)) for name in FLAG_FIELDS if name in fields}
    answer = schemas.ModifyUser(
        new_kudos=round(info.kudos, 2) if "kudos" in fields else None,
        monthly_kudos=fields.get("monthly_kudos"),
        concurrency=info.concurrency if "concurrency" in fields else None,
        worker_invited=info.worker_invited if "worker_invited" in fields else None,
        new_suspicion=info.suspicion if "reset_suspicion" in fields else None,
        new_username=info.display_name if "username" in fields else None,
        contact=fields.get("contact"),
        admin_comment=fields.get("admin_comment"),
        undeleted=True if fields.get("undelete") else None,
        **flags,
    )
    return JSONResponse(dump(answer))


async def transfer(request: Request) -> Response:
    data = await parsing.body(request, schemas.KudosTransferInput)
    who = await caller.actor(request)
    result = await appstate.service(request).kudos.transfer(who, data.username, data.amount)
    return responses.ok(schemas.KudosTransferred(transferred=result.amount))


# --- shared keys ----------------------------------------------------------------------------------------------


async def sharedkey_view(
    request: Request, key: dto.SharedKeyInfo, named_as: str | None = None
) -> schemas.SharedKeyDetails:
    """``id``: the key itself when it is made (the only time it is shown), else what the caller named it by."""
    owner = await appstate.service(request).users.get(await caller.actor(request), key.user_id)
    return schemas.SharedKeyDetails(
        id=key.key or named_as or key.id,
        username=owner.display_name,
        name=key.name,
        kudos=round(key.kudos_limit),
        expiry=key.expires_at.isoformat() if key.expires_at else None,
        utilized=round(key.utilized),
        max_image_pixels=key.max_image_pixels,
        max_image_steps=key.max_image_steps,
        max_text_tokens=key.max_text_tokens,
    )


async def create_sharedkey(request: Request) -> Response:
    data = await parsing.body(request, schemas.SharedKeyInput)
    who = await caller.actor(request)
    key = await appstate.service(request).sharedkeys.create(who, **data.model_dump(exclude_none=True))
    return responses.ok(await sharedkey_view(request, key))


async def sharedkey(request: Request) -> Response:
    key_id = parsing.path_str(request, "key_id")
    key = await appstate.service(request).sharedkeys.get(key_id)
    return responses.ok(await sharedkey_view(request, key, key_id))


async def modify_sharedkey(request: Request) -> Response:
    data = await parsing.body(request, schemas.SharedKeyInput)
    who = await caller.actor(request)
    svc = appstate.service(request)
    key_id = parsing.path_str(request, "key_id")
    key = await svc.sharedkeys.modify(who, key_id, **data.model_dump(exclude_none=True))
    return responses.ok(await sharedkey_view(request, key, key_id))


async def delete_sharedkey(request: Request) -> Response:
    who = await caller.actor(request)
    await appstate.service(request).sharedkeys.delete(who, parsing.path_str(request, "key_id"))
    return responses.ok(base.SimpleResponse())
