"""The account page: balance, the kudos ledger, transfers, shared keys and the user's own workers."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from horde.queue import dto, errors
from horde.webapp import appstate, security, templating
from horde.webapp.pages import forms
from horde.webapp.pages.gallery import login_redirect

LEDGER_LABELS = {
    "worker_reward": "Your worker finished a job",
    "uptime": "Your worker stayed online",
    "floor_adjustment": "Balance lifted to the minimum",
    "admin_grant": "Granted by an admin",
    "rating": "You rated images",
    "style_reward": "Someone used your style",
    "request_charge": "A generation you asked for",
    "request_tax": "Queueing a request",
    "transfer_out": "You sent kudos",
    "transfer_in": "You received kudos",
    "recurring": "Monthly kudos",
    "account_opened": "Account opened",
}


async def _context(request: Request, actor: dto.Actor) -> dict[str, Any]:
    service = appstate.service(request)
    return {
        "me": await service.users.me(actor),
        "ledger": await service.kudos.history(actor, limit=50),
        "ledger_labels": LEDGER_LABELS,
        "workers": await service.workers.listing(actor, owner_id=actor.user_id),
        "messages": await service.worker_moderation.messages(actor),
        "shared_keys": await service.sharedkeys.for_user(actor.user_id),
        "transfer": {"to": "", "amount": "", "error": None, "done": None},
        "new_shared_key": None,
        "new_api_key": None,
    }


async def account_index(request: Request) -> Response:
    actor = await security.viewer(request)
    if actor.is_anonymous:
        return login_redirect(request)
    return await templating.render(request, page="pages/account_index.html", context=await _context(request, actor))


async def account_transfer(request: Request) -> Response:
    actor = await security.viewer(request)
    form = await request.form()
    to, raw_amount = forms.text(form, "to").strip(), forms.text(form, "amount").strip()
    transfer: dict[str, Any] = {"to": to, "amount": raw_amount, "error": None, "done": None}
    status = 200
    try:
        amount = float(raw_amount)
    except ValueError:
        transfer["error"], status = "Enter the number of kudos to send.", 400
    else:
        try:
            result = await appstate.service(request).kudos.transfer(actor, to, amount)
            transfer.update(to="", amount="", done=f"Sent {result.amount:g} kudos to {to}.")
        except errors.HordeError as exc:
            transfer["error"], status = exc.message, 400
    context = await _context(request, actor) if not actor.is_anonymous else {}
    context["transfer"] = transfer
    if not templating.is_htmx(request):
        if actor.is_anonymous:
            raise errors.KudosTransferFromAnonError
        return await templating.render(request, page="pages/account_index.html", context=context, status_code=status)
    # htmx swaps 4xx only into #flash, so a refused transfer answers 200 with the message in the form
    return await templating.render(request, page="partials/account_transfer.html", context=context)


async def worker_maintenance(request: Request) -> Response:
    actor = await security.viewer(request)
    form = await request.form()
    await appstate.service(request).workers.modify(
        actor, request.path_params["worker_id"], maintenance=forms.checkbox(form, "maintenance")
    )
    return RedirectResponse(request.url_for("account").path + "#workers", status_code=303)


async def shared_key_create(request: Request) -> Response:
    actor = await security.viewer(request)
    if actor.is_anonymous:
        return login_redirect(request)
    form = await request.form()
    kudos = forms.whole_number(form, "kudos", 5000, "The kudos budget is a whole number of kudos, or -1 for no limit.")
    created = await appstate.service(request).sharedkeys.create(
        actor, name=forms.text(form, "name").strip() or "shared key", kudos=kudos
    )
    context = await _context(request, actor)
    context["new_shared_key"] = created
    return await templating.render(request, page="pages/account_index.html", context=context)


async def shared_key_delete(request: Request) -> Response:
    actor = await security.viewer(request)
    await appstate.service(request).sharedkeys.delete(actor, request.path_params["key_id"])
    return RedirectResponse(request.url_for("account").path + "#shared-keys", status_code=303)


async def api_key_rotate(request: Request) -> Response:
    """A new API key, shown once: the old key and every session end; this browser stays logged in."""
    actor = await security.viewer(request)
    if actor.is_anonymous:
        return login_redirect(request)
    form = await request.form()
    if not forms.checkbox(form, "confirm"):
        raise errors.ValidationError(
            "Tick the box to confirm: the old key and your other sessions will stop working.", {"confirm": "required"}
        )
    api_key, generation = await appstate.service(request).sessions.rotate_key(actor)
    context = await _context(request, actor)
    context["new_api_key"] = api_key
    response = await templating.render(
        request, page="pages/account_index.html", context=context, headers={"Cache-Control": "no-store"}
    )
    await security.log_in(request, response, actor.user_id, generation)
    return response
