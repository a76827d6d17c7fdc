"""Request bodies are refused over their route's limit while they stream in, before the app reads them (413).

``BodyLimitMiddleware`` sits outside everything that reads a body (the CSRF check, form parsing, the API's JSON
reader, the signed upload route):

- a ``Content-Length`` over the limit is answered 413 at once, and the body is never read;
- a body without a length (chunked), or one that lies about it, is counted as it arrives: the chunk that crosses
  the limit is not handed on; the app's read fails and the client gets the same 413.

Under ``/api/`` the answer is the API's ``{"message", "rc"}``; on pages it is the page's error message.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from horde.queue import errors

logger = logging.getLogger(__name__)

MIB = 1024 * 1024
#: the largest result a worker may upload (``horde.queue.service`` refuses more) and its base64 form in a submit
MAX_RESULT = 50 * MIB
#: the default for every route not named below: JSON bodies and small forms
DEFAULT_LIMIT = 1 * MIB
#: (method, path or path prefix ending in "/", limit in bytes)
LIMITS: tuple[tuple[str, str, int], ...] = (
    ("PUT", "/api/v2/r2/upload/", MAX_RESULT),
    ("POST", "/api/v2/generate/submit", MAX_RESULT * 4 // 3 + MIB),
    ("POST", "/api/v2/generate/async", 32 * MIB),  # a source image and a mask, 10 MB each, in base64
    ("POST", "/api/v2/generate/text/async", 8 * MIB),  # a prompt of up to 1,000,000 characters
    ("POST", "/api/v2/generate/text/submit", 8 * MIB),
    ("POST", "/generate", 24 * MIB),  # the web form: a source image and a mask, 10 MB each
    ("PUT", "/api/v2/r2/alchemy-upload/", MAX_RESULT),
    ("POST", "/api/v2/interrogate/submit", MAX_RESULT * 4 // 3 + MIB),
    ("POST", "/api/v2/interrogate/async", 16 * MIB),  # an image of up to 10 MB, in base64
    ("POST", "/alchemy", 12 * MIB),  # the web form: an image of up to 10 MB
)


class PayloadTooLargeError(errors.ValidationError):
    """The request body is larger than this address accepts."""

    rc = "PayloadTooLarge"


class _BodyTooLarge(Exception):  # noqa: N818 - control flow inside this module, never seen by a client
    """Raised from ``receive`` to stop the app reading; the middleware answers 413."""


def limit_for(method: str, path: str) -> int:
    """The most bytes a request to ``method path`` may send."""
    for limit_method, where, limit in LIMITS:
        if method == limit_method and (path == where or (where.endswith("/") and path.startswith(where))):
            return limit
    return DEFAULT_LIMIT


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isascii() and text.isdigit() and len(text) < 20 else -1
    return None


class BodyLimitMiddleware:
    """Answers 413 to a body over its route's limit, before reading it or while it streams in."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["method"], scope["path"])
        declared = _declared_length(scope)
        if declared is not None and (declared < 0 or declared > limit):
            await _refuse(scope, send, limit)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if started:  # too late for a status: the connection just ends
                raise
            await _refuse(scope, send, limit)


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    logger.info("body_too_large", extra={"action": "body_too_large", "path": scope["path"], "limit": limit})
    error = PayloadTooLargeError(f"The request body is larger than {limit // 1024:,} KiB.", {"body": "too large"})
    response = await _response(scope, error)
    response.headers["connection"] = "close"

    async def no_body() -> Message:
        return {"type": "http.disconnect"}

    await response(scope, no_body, send)


async def _response(scope: Scope, error: PayloadTooLargeError) -> Response:
    if scope["path"].startswith("/api/"):
        return JSONResponse({"message": error.message, "rc": error.rc}, status_code=413)
    renderer = scope["app"].state.page_error_renderer if "app" in scope else None
    if renderer is not None:
        try:
            page: Response = await renderer(Request(scope), error, status_code=413)
        except Exception:  # the page needs the database; the refusal must not
            logger.exception("body_too_large_page_failed", extra={"action": "body_too_large_page_failed"})
        else:
            return page
    return PlainTextResponse(error.message, status_code=413)
