"""Admin: prompt filters (list, add, test a prompt, remove) and IP timeouts and blocks (addresses and CIDR blocks,
with an expiry)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from horde.queue import dto
from horde.webapp import appstate
from horde.webapp.pages import forms
from horde.webapp.pages.admin import show, viewer_or_login

FILTER_TYPES = {10: "underage (10)", 11: "underage (11)", 20: "lewd (20)"}


async def _filters(
    request: Request, actor: dto.Actor, notice: str | None = None, tested: dict[str, Any] | None = None
) -> Response:
    found = await appstate.service(request).moderation.list_filters(actor)
    context = {"filters": found, "filter_types": FILTER_TYPES, "tested": tested}
    return await show(request, "filters", "filters_panel", context, notice=notice)


async def filters(request: Request) -> Response:
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    return await _filters(request, actor)


async def add_filter(request: Request) -> Response:
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    form = await request.form()
    made = await appstate.service(request).moderation.put_filter(
        actor,
        regex=forms.text(form, "regex").strip(),
        filter_type=forms.whole_number(form, "filter_type", 20, "The filter type is a number from 10 to 29."),
        description=forms.text(form, "description").strip() or None,
        replacement=forms.text(form, "replacement") or None,
    )
    return await _filters(request, actor, f"Filter {made.id} added: it applies to new requests now.")


async def test_prompt(request: Request) -> Response:
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    prompt = forms.text(await request.form(), "prompt")[:5000]
    matches = await appstate.service(request).moderation.test_prompt(actor, prompt)
    tested = {"prompt": prompt, "matches": matches, "blocked": any(m in (10, 11, 20) for m in matches)}
    return await _filters(request, actor, tested=tested)


async def delete_filter(request: Request) -> Response:
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    filter_id = int(request.path_params["filter_id"])
    await appstate.service(request).moderation.delete_filter(actor, filter_id)
    return await _filters(request, actor, f"Filter {filter_id} removed.")


# --- IPs ------------------------------------------------------------------------------------------------------


async def _ips(request: Request, actor: dto.Actor, notice: str | None = None) -> Response:
    timeouts = await appstate.service(request).moderation.ip_timeouts(actor)
    return await show(request, "ips", "ips_table", {"timeouts": timeouts}, notice=notice)


async def ips(request: Request) -> Response:
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    return await _ips(request, actor)


async def add_ip(request: Request) -> Response:
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    form = await request.form()
    hours = forms.whole_number(form, "hours", 24, "Hours is a whole number from 1 to 720.")
    added = await appstate.service(request).moderation.put_ip_timeout(
        actor, forms.text(form, "ip"), hours=hours, reason=forms.text(form, "reason").strip()[:500] or None
    )
    return await _ips(request, actor, f"{added.ip} blocked for {hours} hours.")


async def delete_ip(request: Request) -> Response:
    actor = await viewer_or_login(request)
    if isinstance(actor, Response):
        return actor
    ip = forms.text(await request.form(), "ip")
    removed = await appstate.service(request).moderation.delete_ip_timeout(actor, ip)
    return await _ips(request, actor, f"{ip} unblocked." if removed else f"{ip} was not blocked.")
