"""The gallery: a logged-in user's requests and their results, kept on the server."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from horde.queue import dto
from horde.webapp import appstate, security, templating
from horde.webapp.pages import forms

PAGE_SIZE = 24
MAX_PAGE = 10_000


def login_redirect(request: Request) -> Response:
    login = request.url_for("login").path
    return RedirectResponse(f"{login}?next={request.url.path}", status_code=303)


def _entries(history: list[dto.RequestStatus], only_favourites: bool) -> list[tuple[dto.RequestStatus, dto.Generation]]:
    return [
        (req, gen)
        for req in history
        for gen in req.generations
        if (gen.result_key or gen.text is not None) and (gen.favourite or not only_favourites)
    ]


async def gallery_index(request: Request) -> Response:
    actor = await security.viewer(request)
    if actor.is_anonymous:
        return login_redirect(request)
    raw_page = request.query_params.get("page", "1")
    page = int(raw_page) if forms.is_small_int(raw_page) else 1
    page = min(max(1, page), MAX_PAGE)  # an offset past SQLite's 64 bits is an error, not an empty page
    only_favourites = request.query_params.get("show") == "favourites"
    history = await appstate.service(request).requests.history(
        actor, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE
    )
    pending = [req for req in history[:PAGE_SIZE] if not req.done]
    context = {
        "entries": _entries(history[:PAGE_SIZE], only_favourites),
        "pending": pending,
        "page": page,
        "has_next": len(history) > PAGE_SIZE,
        "only_favourites": only_favourites,
    }
    return await templating.render(
        request, page="pages/gallery_index.html", partial="partials/gallery_grid.html", context=context
    )
