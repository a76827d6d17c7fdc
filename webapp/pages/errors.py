"""Error pages: a ``HordeError`` on a page becomes ``errors/<status>.html``, or for htmx a flash fragment in ``#flash``.

Never a traceback (unless ``debug``): anything unexpected is logged and shown as a plain 500 page.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from horde.queue import errors
from horde.webapp import errors as web_errors, templating

logger = logging.getLogger(__name__)

TITLES = {
    400: "That did not work",
    401: "Please log in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    410: "Gone",
    413: "Too large",
    429: "Slow down",
    500: "Something went wrong",
}


def _template(status: int) -> str:
    return "errors/404.html" if status in (404, 410) else "errors/500.html" if status >= 500 else "errors/error.html"


async def render_message(
    request: Request, message: str, status: int, headers: dict[str, str] | None = None
) -> Response:
    """The page (or, for htmx, the ``#flash`` fragment) that says what went wrong."""
    context = {"status": status, "title": TITLES.get(status, "Error"), "message": message}
    if templating.is_htmx(request):
        flash_headers = {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML", **(headers or {})}
        return await templating.render(
            request,
            page="partials/flash.html",
            context={"level": "error", "flash_message": message},
            status_code=status,
            headers=flash_headers,
        )
    return await templating.render(
        request, page=_template(status), context=context, status_code=status, headers=headers
    )


async def render_error(request: Request, exc: errors.HordeError, *, status_code: int | None = None) -> Response:
    """``app.state.page_error_renderer``: a HordeError raised by a page handler."""
    status = status_code or web_errors.status_for(exc)
    return await render_message(request, exc.message, status, web_errors.error_headers(exc))


async def on_http_error(request: Request, exc: Exception) -> Response:
    """404s and 405s: JSON under ``/api/``, an HTML page elsewhere."""
    assert isinstance(exc, HTTPException)  # noqa: S101 - registered for HTTPException only
    if request.url.path.startswith("/api/"):
        return JSONResponse(
            {"message": exc.detail, "rc": "NotFound" if exc.status_code == 404 else "BadRequest"},
            status_code=exc.status_code,
            headers=exc.headers,
        )
    messages = {404: "There is no page at this address.", 405: "This address does not accept that kind of request."}
    return await render_message(request, messages.get(exc.status_code, str(exc.detail)), exc.status_code)


async def on_server_error(request: Request, exc: Exception) -> Response:
    """The last resort: log it, and show a plain page (Starlette shows the traceback itself in debug)."""
    logger.exception("page_failed", extra={"action": "page_failed", "path": request.url.path})
    if request.url.path.startswith("/api/"):
        return JSONResponse({"message": "Internal server error.", "rc": "InternalServerError"}, status_code=500)
    try:
        return await render_message(request, "The server hit an unexpected error. It has been logged.", 500)
    except Exception:  # the error page itself failed: fall back to plain text, never a traceback
        logger.exception("error_page_failed", extra={"action": "error_page_failed"})
        return Response("Something went wrong on the server.", status_code=500, media_type="text/plain")
