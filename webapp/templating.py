"""The Jinja environment and the one render helper: a full page, or for htmx its partial, always ``Vary: HX-Request``."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from horde.queue import dto
from horde.webapp import appstate, assets, security


def _kudos(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")


def _duration(seconds: float | int) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def _when(moment: dt.datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def _pixels(value: int) -> str:
    side = round(value**0.5)
    return f"{side}×{side}"


def make_templates(*, strict: bool = True) -> Jinja2Templates:
    """Autoescaped, ``StrictUndefined`` (a missing variable is a bug a test should catch), our filters."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(assets.templates_dir()),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined if strict else jinja2.Undefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(kudos=_kudos, duration=_duration, when=_when, pixels=_pixels)
    return Jinja2Templates(env=env)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


async def base_context(request: Request) -> dict[str, Any]:
    """What every page needs: who is looking (and their balance), the CSRF token, the htmx header JSON."""
    actor = await security.viewer(request)
    balance: float | None = None
    if not actor.is_anonymous:
        balance = (await appstate.service(request).users.me(actor)).kudos
    token = security.csrf_token(request)
    return {
        "viewer": actor,
        "logged_in": not actor.is_anonymous,
        "is_moderator": actor.is_moderator,
        "banner": (await appstate.service(request).modes.current()).banner,
        "balance": balance,
        "csrf_token": token,
        "hx_headers": json.dumps({"X-CSRF-Token": token}),
        "flash": None,
    }


async def render(
    request: Request,
    *,
    page: str,
    partial: str | Mapping[str, str] | None = None,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Render ``page``, or ``partial`` for an htmx request (by ``HX-Target`` when a mapping is given)."""
    templates: Jinja2Templates = request.app.state.templates
    name = page
    if partial is not None and is_htmx(request):
        if isinstance(partial, str):
            name = partial
        else:
            name = partial.get(request.headers.get("hx-target", ""), partial.get("", page))
    full = {**await base_context(request), **(context or {})}
    response = templates.TemplateResponse(request, name, full, status_code=status_code, headers=dict(headers or {}))
    security.vary(response, "HX-Request")
    return response


def actor_label(actor: dto.Actor) -> str:
    return "Anonymous" if actor.is_anonymous else actor.display_name
