"""Admin: find accounts, see one whole (its dossier), set its flags and limits, adjust kudos and monthly kudos,
reset suspicion, soft-delete and undelete."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from horde.queue import dto, errors
from horde.queue.service import Role
from horde.webapp import appstate
from horde.webapp.pages import forms
from horde.webapp.pages.account import LEDGER_LABELS
from horde.webapp.pages.admin import show, viewer_or_login

FLAGS = tuple(Role)


async def users(request: Request) -> Response:
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    query = request.query_params.get("q", "")[:200]
    found = await appstate.service(request).user_moderation.search(actor, query)
    return await show(request, "users", "user_results", {"q": query, "found": found})


async def _dossier(request: Request, actor: dto.Actor) -> dict[str, Any]:
    user_id = int(request.path_params["user_id"])
    dossier = await appstate.service(request).user_moderation.dossier(actor, user_id)
    return {"d": dossier, "u": dossier.user, "flags": FLAGS, "ledger_labels": LEDGER_LABELS}


async def user(request: Request) -> Response:
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    return await show(request, "user", "user_panel", await _dossier(request, actor))


async def _act(request: Request, actor: dto.Actor, notice: str, **changes: Any) -> Response:
    """Apply ``changes`` to the account through the service, then show its panel with ``notice``."""
    user_id = int(request.path_params["user_id"])
    await appstate.service(request).users.modify(actor, user_id, **changes)
    return await show(request, "user", "user_panel", await _dossier(request, actor), notice=notice)


async def flags(request: Request) -> Response:
    """Set the role flags (each checkbox; moderator and admin are refused by the service to moderators, and only
    sent when they change), concurrency, worker invites and the comment."""
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    form = await request.form()
    held = {role.value for role in Role if forms.text(form, f"had_{role.value}") == "1"}
    changes: dict[str, Any] = {}
    for role in Role:
        wanted = forms.checkbox(form, role.value)
        if wanted != (role.value in held):
            changes[role.value] = wanted
    for name in ("concurrency", "worker_invited"):
        raw = forms.text(form, name).strip()
        if raw and raw != forms.text(form, f"had_{name}"):
            changes[name] = forms.whole_number(form, name, 0, f"{name} is a whole number.")
    comment = forms.text(form, "admin_comment")
    if "admin_comment" in form and comment != forms.text(form, "had_admin_comment"):
        changes["admin_comment"] = comment
    if not changes:
        raise errors.ValidationError("Nothing changed.")
    return await _act(request, actor, "Saved: " + ", ".join(sorted(changes)), **changes)


async def kudos(request: Request) -> Response:
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    form = await request.form()
    raw = forms.text(form, "amount").strip()
    try:
        amount = float(raw)
    except ValueError as exc:
        raise errors.KudosValidationError("Enter the kudos to add (or a negative number to take).") from exc
    reason = forms.text(form, "reason").strip()
    if not reason:
        raise errors.ValidationError("Say why: the reason goes in the ledger.", {"reason": "required"})
    return await _act(request, actor, f"Kudos adjusted by {amount:g}.", kudos=amount, kudos_reason=reason)


async def monthly(request: Request) -> Response:
    """Set the kudos the account receives each month (admins; the service refuses moderators)."""
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    amount = forms.whole_number(await request.form(), "monthly_kudos", -1, "Monthly kudos are a whole number.")
    if amount < 0:
        raise errors.ValidationError("Enter the kudos to pay each month (0 for none).", {"monthly_kudos": "required"})
    return await _act(request, actor, f"Monthly kudos set to {amount:,}.", monthly_kudos=amount)


async def reset(request: Request) -> Response:
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    return await _act(request, actor, "Suspicion reset.", reset_suspicion=True)


async def _deletion(request: Request, *, deleted: bool) -> Response:
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    user_id = int(request.path_params["user_id"])
    area = appstate.service(request).user_moderation
    await (area.delete(actor, user_id) if deleted else area.undelete(actor, user_id))
    notice = "Account deleted (it can be undeleted)." if deleted else "Account undeleted."
    return await show(request, "user", "user_panel", await _dossier(request, actor), notice=notice)


async def delete(request: Request) -> Response:
    return await _deletion(request, deleted=True)


async def undelete(request: Request) -> Response:
    return await _deletion(request, deleted=False)
