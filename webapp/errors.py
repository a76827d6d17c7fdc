"""One handler for ``HordeError``: the status table (looked up along the MRO) and the JSON shape of AI Horde."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from horde.queue import errors

STATUS: dict[type[errors.HordeError], int] = {
    errors.HordeError: 400,
    errors.ValidationError: 400,
    errors.AuthError: 401,
    errors.ForbiddenError: 403,
    errors.NotFoundError: 404,
    errors.RequestExpiredError: 410,
    errors.ConflictError: 400,
    errors.RateLimitedError: 429,
    errors.MaintenanceModeError: 503,
    errors.ServiceBusyError: 503,
}


def status_for(exc: errors.HordeError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def error_body(exc: errors.HordeError) -> dict[str, object]:
    body: dict[str, object] = {"message": exc.message, "rc": exc.rc}
    if isinstance(exc, errors.ValidationError) and exc.field_errors:
        body["errors"] = exc.field_errors
    return body


def error_headers(exc: errors.HordeError) -> dict[str, str]:
    if isinstance(exc, errors.RateLimitedError | errors.ServiceBusyError):
        return {"Retry-After": str(max(1, round(exc.retry_after)))}
    return {}


async def on_horde_error(request: Request, exc: Exception) -> Response:
    """JSON under /api/; the web UI registers its own renderer for pages (see ``horde.webapp.pages``)."""
    assert isinstance(exc, errors.HordeError)  # noqa: S101 - registered for HordeError only
    renderer = request.app.state.page_error_renderer if not request.url.path.startswith("/api/") else None
    if renderer is not None:
        response: Response = await renderer(request, exc)
        return response
    return JSONResponse(error_body(exc), status_code=status_for(exc), headers=error_headers(exc))
