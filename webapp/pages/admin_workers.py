"""Admin: the workers (pause, maintenance, message the owner, delete, block the address) and the live queue
(cancel a request)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from horde.queue import errors
from horde.webapp import appstate
from horde.webapp.pages import forms
from horde.webapp.pages.admin import show, viewer_or_login


async def _workers(request: Request, notice: str | None = None) -> Response:
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    listed = await appstate.service(request).worker_moderation.listing(actor)
    listed.sort(key=lambda w: (not w.worker.online, w.worker.name.lower()))
    return await show(request, "workers", "workers_table", {"workers": listed}, notice=notice)


async def workers(request: Request) -> Response:
    return await _workers(request)


async def pause(request: Request) -> Response:
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    paused = forms.checkbox(await request.form(), "paused")
    done = await appstate.service(request).worker_moderation.pause(
        actor, request.path_params["worker_id"], paused=paused
    )
    verb = "paused: its jobs went back to the queue" if paused else "unpaused"
    return await _workers(request, f"{done.name} {verb}.")


async def maintenance(request: Request) -> Response:
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    form = await request.form()
    on = forms.checkbox(form, "maintenance")
    changes: dict[str, object] = {"maintenance": on}
    if on:
        changes["maintenance_msg"] = forms.text(form, "maintenance_msg").strip() or None
    done = await appstate.service(request).workers.modify(actor, request.path_params["worker_id"], **changes)
    return await _workers(request, f"{done.name}: maintenance {'on' if on else 'off'}.")


async def message(request: Request) -> Response:
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    form = await request.form()
    hours = forms.whole_number(form, "expiry", 12, "The expiry is a whole number of hours.")
    await appstate.service(request).worker_moderation.send_message(
        actor, request.path_params["worker_id"], forms.text(form, "message"), expiry_hours=hours
    )
    return await _workers(request, "Message sent to the owner.")


async def delete(request: Request) -> Response:
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    await appstate.service(request).workers.delete(actor, request.path_params["worker_id"])
    return await _workers(request, "Worker deleted.")


async def block_ip(request: Request) -> Response:
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    days = forms.whole_number(await request.form(), "days", 1, "Days is a whole number from 1 to 30.")
    blocked = await appstate.service(request).moderation.ips.block_worker_ip(
        actor, request.path_params["worker_id"], days=days
    )
    return await _workers(request, f"Blocked {blocked.ip} for {days} days.")


# --- the queue ------------------------------------------------------------------------------------------------


async def _queue(request: Request, notice: str | None = None) -> Response:
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    waiting = await appstate.service(request).user_moderation.waiting(actor)
    return await show(request, "queue", "queue_table", {"waiting": waiting}, notice=notice)


async def queue(request: Request) -> Response:
    return await _queue(request)


async def cancel(request: Request) -> Response:
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    request_id = request.path_params["request_id"]
    if len(request_id) > 64:
        raise errors.RequestNotFoundError
    await appstate.service(request).user_moderation.cancel_request(actor, request_id)
    return await _queue(request, "Request cancelled: what was not made is not charged.")
