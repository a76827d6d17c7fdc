"""Admin: the overview, the horde's modes (maintenance, invite-only, raid, banner), news, and the audit log."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from horde.queue import dto
from horde.webapp import appstate
from horde.webapp.pages import forms
from horde.webapp.pages.admin import show, viewer_or_login


async def home(request: Request) -> Response:
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    service = appstate.service(request)
    context = {
        "recent": await service.audit.search(actor, limit=15),
        "waiting": len(await service.user_moderation.waiting(actor)),
        "modes": await service.modes.current(),
        "csam_flags": await service.csam.flagged(actor),
    }
    return await show(request, "home", "audit_table", {**context, "entries": context["recent"]})


async def _modes(request: Request, actor: dto.Actor, notice: str | None = None) -> Response:
    service = appstate.service(request)
    context = {
        "modes": await service.modes.current(),
        "news": await service.modes.news(),
        "changes": await service.audit.search(actor, action="mode_changed", limit=10),
    }
    return await show(request, "modes", "modes_panel", context, notice=notice)


async def modes(request: Request) -> Response:
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    return await _modes(request, actor)


async def change_modes(request: Request) -> Response:
    """One form per mode: each sends its name in ``mode``, and the checkbox (or the banner's text)."""
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    form = await request.form()
    mode = forms.text(form, "mode")
    service = appstate.service(request)
    if mode == "banner":
        await service.modes.change(actor, banner=forms.text(form, "banner"))
        notice = "Banner saved."
    elif mode in ("maintenance", "invite_only", "raid"):
        on = forms.checkbox(form, "on")
        changes: dict[str, bool] = {mode: on}
        await service.modes.change(
            actor,
            maintenance=changes.get("maintenance"),
            invite_only=changes.get("invite_only"),
            raid=changes.get("raid"),
        )
        notice = f"{mode.replace('_', '-').capitalize()} mode {'on' if on else 'off'}."
    else:
        notice = "Nothing changed."
    return await _modes(request, actor, notice)


async def add_news(request: Request) -> Response:
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    form = await request.form()
    await appstate.service(request).modes.add_news(
        actor, forms.text(form, "title"), forms.text(form, "body"), forms.text(form, "importance") or "information"
    )
    return await _modes(request, actor, "News published.")


async def delete_news(request: Request) -> Response:
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    await appstate.service(request).modes.delete_news(actor, int(request.path_params["news_id"]))
    return await _modes(request, actor, "News removed.")


async def audit(request: Request) -> Response:
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    q = {name: request.query_params.get(name, "")[:200] for name in ("by", "target", "action")}
    entries = await appstate.service(request).audit.search(
        actor, by=q["by"] or None, target=q["target"] or None, action=q["action"] or None
    )
    return await show(request, "audit", "audit_table", {"entries": entries, "q": q})
